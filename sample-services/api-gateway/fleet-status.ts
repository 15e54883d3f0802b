import { FLEET, fleetEngine } from '../shared/engines.ts';

export interface LastPrediction {
  cycle: number;
  rul: number | null;
  modelVersion: string;
  at: string;
}

/** Maintenance planning thresholds, in remaining cycles. */
const CRITICAL_BELOW = 30;
const DEGRADED_BELOW = 100;

/** The latest prediction per engine, so the fleet view answers without calling ml-service. */
export class FleetStatus {
  private readonly last = new Map<string, LastPrediction>();

  has(id: string): boolean {
    return fleetEngine(id) !== undefined;
  }

  record(id: string, p: LastPrediction): void {
    const prev = this.last.get(id);
    if (!prev || prev.cycle <= p.cycle) this.last.set(id, p);
  }

  list() {
    return FLEET.map((e) => ({ id: e.id, status: this.status(e.id), lastCycle: this.last.get(e.id)?.cycle ?? null }));
  }

  health(id: string) {
    const last = this.last.get(id);
    return { engineId: id, status: this.status(id), lastPrediction: last ?? null };
  }

  private status(id: string): 'unknown' | 'healthy' | 'degraded' | 'critical' {
    const rul = this.last.get(id)?.rul;
    if (rul === undefined || rul === null) return 'unknown';
    if (rul < CRITICAL_BELOW) return 'critical';
    return rul < DEGRADED_BELOW ? 'degraded' : 'healthy';
  }
}
