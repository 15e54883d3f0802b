import { describe, expect, it } from 'vitest';
import { PLATFORM_RECEIVERS, portVariable, services } from '../../../scripts/stack/services.ts';

describe('services sharing a process', () => {
  it('the platform receivers: the sink and the controller, one entry, one name, their own ports and the same flags', () => {
    const members = services.filter((s) => s.sharedProcess === 'platform-receivers');
    expect(members.map((s) => s.name)).toEqual([...PLATFORM_RECEIVERS]);
    expect(new Set(members.map((s) => s.entry)).size).toBe(1);
    expect(new Set(members.map((s) => s.port)).size).toBe(members.length);
    expect(new Set(members.map((s) => JSON.stringify(s.nodeFlags ?? [])))).toEqual(new Set([JSON.stringify(members[0]!.nodeFlags ?? [])]));
    expect(portVariable('notification-sink')).toBe('PORT_NOTIFICATION_SINK');
    expect(portVariable('remediation-controller')).toBe('PORT_REMEDIATION_CONTROLLER');
  });

  it('no service starts with --lite-mode: it turns WebAssembly off, and Node\'s fetch (undici) needs it', () => {
    for (const s of services) expect(s.nodeFlags ?? [], s.name).not.toContain('--lite-mode');
  });
});
