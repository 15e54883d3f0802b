/**
 * The component catalog's vocabulary. One spec per stack part, read by both runtimes:
 * the native runtime turns it into child processes, the docker runtime into containers.
 */

/** Where a runtime puts things, so one spec yields both a command line and a container. */
export interface LaunchContext {
  /** Directory holding this component's config files (rendered copy of compose/<component>/). */
  configDir: string;
  /** Writable data directory for this component. */
  dataDir: string;
  /** Address to listen on: 127.0.0.1 natively, 0.0.0.0 inside a container. */
  listenHost: string;
  /** Port number for a named port of this component, as seen by the component itself. */
  port(name: string): number;
  /** The URL the component will be reached at from the host (Prometheus' --web.external-url). */
  externalUrl: string;
  /**
   * host:port at which this component reaches another stack component: 127.0.0.1 and the host
   * port natively, the network alias and container port in a container.
   */
  peer(component: string, port?: string): string;
  /**
   * Where this component sees a project directory named in the spec's `mounts` (a path relative
   * to the project root): the checkout itself natively, the mount point in a container.
   */
  projectPath(relative: string): string;
  /** Native runtime only: the binary found on PATH. Absent in a container (the image's own entrypoint runs). */
  binary?: string;
  /**
   * The password of the stack's login (stack-auth.ts: user `sandbox`, the session's token), for
   * a component that logs in to a guarded one (Grafana's Alertmanager data source). Empty where
   * nothing is guarded (the standalone compose file).
   */
  stackPassword: string;
}

export interface ReadinessProbe {
  /** Named port the probe targets. */
  port: string;
  /** HTTP path that answers 2xx once the component is ready. */
  path: string;
  /** Give up after this long; the error names the component and shows its last log lines. */
  timeoutMs: number;
  /** The component asks for the stack's login (stack-auth.ts) on every route, this one included. */
  login?: boolean;
}

export interface StackComponentSpec {
  name: string;
  description: string;
  /** Pinned container image for the docker runtime. */
  image: { name: string; tag: string };
  /** Candidate binary names on PATH for the native runtime, first found wins. */
  binaries: readonly string[];
  /** How to get the binary, shown when none is found. */
  installHint: string;
  /** Named ports with their default host port (the container listens on the same number). */
  ports: Readonly<Record<string, number>>;
  /** The port whose URL `status` prints. */
  primaryPort: string;
  /** Directory under compose/ whose files make up this component's configuration. */
  configSource: string;
  /** Where the configuration directory is mounted inside the container. */
  containerConfigDir: string;
  /** Where the data directory is mounted inside the container. */
  containerDataDir: string;
  /** Command-line arguments, the same for both runtimes apart from the context's paths. */
  args(ctx: LaunchContext): string[];
  readiness: ReadinessProbe;
  /** Lower starts first; equal values start in parallel. */
  startOrder: number;
  /** Memory limit for the container. */
  memoryMiB: number;
  /**
   * An optional component that the native runtime cannot find is reported `unavailable` and the
   * sandbox runs without it; a required one stops the start with how to install it.
   */
  optional?: boolean;
  /** Components that must be present for this one to be useful. */
  dependsOn?: readonly string[];
  /**
   * Environment for the component in both runtimes (settings that differ per runtime, such as
   * peers' addresses, go here and reach config files through their env-var interpolation).
   */
  env?(ctx: LaunchContext): Record<string, string>;
  /** Host environment variables handed through when set (secrets such as LOCALSTACK_AUTH_TOKEN). */
  passEnv?: readonly string[];
  /** Environment variable that replaces the pinned image (`name:tag`) in the docker runtime. */
  imageEnv?: string;
  /** Project directories (relative to the project root) the component reads, and where a container sees them, read-only. */
  mounts?: readonly { source: string; target: string }[];
  /** A testcontainers module that knows this image better than GenericContainer does. */
  testcontainersModule?: 'localstack';
  /** No native binary exists: the native runtime always reports the component unavailable. */
  dockerOnly?: boolean;
}

/** A TypeScript process the sandbox supervises the same way in both runtimes. */
export interface ServiceSpec {
  name: string;
  description: string;
  /** 'sample' services are what scenarios break; 'platform' ones are the sandbox's own helpers. */
  role: 'sample' | 'platform';
  /** Entry file, relative to the project root. */
  entry: string;
  /**
   * The host process this service shares with others (same entry and this name): the supervisor
   * starts one process for all of them, passing each one's port as PORT_<NAME> (portVariable in
   * services.ts), logs it to <state>/logs/<sharedProcess>.log, and waits for each one's
   * readiness. Restarting or stopping one restarts or stops the process, so all of them.
   */
  sharedProcess?: string;
  /**
   * V8/Node flags ahead of the entry (`node <flags> <entry>`), in every launch mode (built, tsx).
   * Never --lite-mode: it turns WebAssembly off, and Node's fetch (undici's HTTP parser is
   * WebAssembly) then throws "WebAssembly is not defined" on first use.
   */
  nodeFlags?: readonly string[];
  port: number;
  readiness: { path: string; timeoutMs: number };
  /** Prometheus scrapes its /metrics as a target of this job. */
  scrapeJob?: string;
  /** Environment beyond the common one (SERVICE_NAME, PORT, HOST, CHAOS_TOKEN, state dir). */
  env(ctx: ServiceEnvContext): Record<string, string>;
  startOrder: number;
  /**
   * Scale-out: the default ports of the extra instances the supervisor may run (instance 2, 3,
   * ...), reserved in the port plan like every other port. Absent: one instance only.
   */
  replicaPorts?: readonly number[];
  /** Why this service runs as one instance only; the control API's refusal to scale it names it. */
  notScalable?: string;
  /**
   * This service spreads its calls over every running instance of the named service; the
   * sandbox sets its upstream list (PUT /admin/upstreams) whenever that service is scaled.
   */
  routesTo?: string;
}

export interface ServiceEnvContext {
  /** Base URL of another service or component, as this process reaches it (its primary instance). */
  urlOf(name: string): string;
  /** Base URLs of every running instance of a service (the primary first), at this launch. */
  instanceUrlsOf(name: string): string[];
  stateDir: string;
}
