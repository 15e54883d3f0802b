import type { StackComponentSpec } from '../stack/types.ts';
import type { DockerLeftovers } from './docker/leftovers.ts';

// The wire shapes live with the control API's protocol (core/control-protocol.ts).
export type { ComponentState, ComponentStatus, RuntimeName } from '../core/control-protocol.ts';
import type { ComponentStatus, RuntimeName } from '../core/control-protocol.ts';

/** What the session hands a runtime to start the stack components. */
export interface StackPlan {
  components: readonly StackComponentSpec[];
  /** Host port for a component's named port (defaults plus the sandbox's port offset). */
  hostPort(component: string, port: string): number;
  /** Rendered configuration directory for a component (a copy of compose/<x>/ with targets). */
  configDir(component: string): string;
  /** Writable data directory for a component on the host. */
  dataDir(component: string): string;
  /** Log file for a component. */
  logFile(component: string): string;
  /** Labels that mark everything this sandbox run starts (containers, registry entries). */
  labels: Readonly<Record<string, string>>;
  /** Optional components the user left out (`--without`): `unavailable`, never started. */
  leftOut?: ReadonlySet<string>;
  /** The stack's login password (stack-auth.ts; the session's token). Absent: nothing asks for one. */
  stackPassword?: string;
}

/**
 * A way to run the stack components (Prometheus, Alertmanager, ...). The sample services and
 * the sandbox's own receivers are host processes in every runtime; only the stack differs.
 */
export interface StackRuntime extends AsyncDisposable {
  readonly name: RuntimeName;
  /** How stack components reach processes on the host (scrape targets, webhook URLs). */
  readonly hostAddress: string;
  /** host:port at which other stack components reach `component` (e.g. Prometheus → Alertmanager). */
  peerAddress(component: string, port?: string): string;
  /**
   * Called once before anything starts: from here on runs() answers for this plan (the docker
   * runtime pulls its images here, so an image that cannot be had is known before the host
   * processes get their environment). Throws when a required component cannot run.
   */
  prepare(plan: StackPlan): Promise<void>;
  /**
   * After prepare(): what the session's reaper process must remove if the host dies without
   * stopping (the docker runtime's containers and networks, by label, on its engine). Processes
   * it knows from the pid registry; a runtime without such leftovers does not implement this.
   */
  leftoversOnDeath?(): DockerLeftovers | undefined;
  /** Whether this runtime runs `component` (after prepare): scrape targets, ports, service env. */
  runs(component: string): boolean;
  /**
   * Start every component of the plan in start order and wait for readiness. A component the
   * runtime cannot run (no binary) is reported `unavailable` with a reason and a hint, not
   * dropped. Throws a SandboxError (READINESS_TIMEOUT, PORT_IN_USE, ...) when a part fails.
   */
  start(plan: StackPlan): Promise<ComponentStatus[]>;
  /** Current state of every component of the plan. */
  status(): ComponentStatus[];
  /** Stop everything this runtime started. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * Send a running component's process a signal (Prometheus re-reads its configuration and rule
   * files on SIGHUP: the sandbox runs it without the HTTP lifecycle API).
   */
  signal?(component: string, signal: NodeJS.Signals): Promise<void>;
  /**
   * Stop a component, start it again on an empty data directory and wait until it is ready
   * (Prometheus forgets every series between scenarios: the sandbox runs it without the admin API).
   */
  restartFresh?(component: string): Promise<void>;
}
