// The normalised Compose project: what the loader hands to convergence and
// commands. Field names and shapes follow `docker compose config --format json`
// (Compose v2): long syntax everywhere, snake_case keys as in the Compose
// Specification, defaults applied, paths absolute, variables interpolated.
// Fields not listed here are still carried (index signatures) so nothing the
// user wrote is lost on the way to the Engine API.

export interface Project {
  name: string;
  /** Absolute project directory (`--project-directory` or the first file's dir). */
  working_dir: string;
  /** Absolute paths of the files that were merged, in order. */
  config_files: string[];
  /** The environment used for interpolation (process env + .env/--env-file). */
  environment: Record<string, string>;
  /** Absolute paths of the env files read for interpolation (`--env-file`s, or the project's `.env` when it exists). */
  env_files?: string[];
  services: Record<string, Service>;
  networks: Record<string, Network>;
  volumes: Record<string, Volume>;
  secrets: Record<string, FileObject>;
  configs: Record<string, FileObject>;
  /** Services that exist in the files but are disabled by profiles (for `--profile`/run of a disabled service). */
  disabled_services: Record<string, Service>;
}

export interface Service {
  name: string;
  image?: string;
  build?: Build;
  command?: string[] | null;
  entrypoint?: string[] | null;
  container_name?: string;
  environment: Record<string, string | null>;
  labels: Record<string, string>;
  ports: Port[];
  expose: string[];
  volumes: ServiceVolume[];
  tmpfs: string[];
  networks: Record<string, ServiceNetwork | null>;
  network_mode?: string;
  depends_on: Record<string, DependsOn>;
  healthcheck?: Healthcheck;
  restart?: string;
  deploy?: { replicas?: number; resources?: { limits?: Resources; reservations?: Resources }; [k: string]: unknown };
  scale?: number;
  profiles: string[];
  secrets: FileReference[];
  configs: FileReference[];
  init?: boolean;
  user?: string;
  working_dir?: string;
  extra_hosts: string[];
  dns: string[];
  ulimits: Record<string, { soft: number; hard: number } | number>;
  stop_signal?: string;
  /** Compose duration string as written ("10s", "1m30s"). */
  stop_grace_period?: string;
  pid?: string;
  cap_add: string[];
  cap_drop: string[];
  privileged?: boolean;
  read_only?: boolean;
  shm_size?: string | number;
  logging?: { driver?: string; options?: Record<string, string> };
  tty?: boolean;
  stdin_open?: boolean;
  hostname?: string;
  pull_policy?: string;
  [key: string]: unknown;
}

export interface Build {
  context: string;
  dockerfile?: string;
  dockerfile_inline?: string;
  args: Record<string, string | null>;
  target?: string;
  labels: Record<string, string>;
  [key: string]: unknown;
}

export interface Port {
  target: number;
  /** Host port or range as a string ("8080", "8000-8010"); absent = ephemeral. */
  published?: string;
  host_ip?: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  mode: 'ingress' | 'host';
  name?: string;
}

export interface ServiceVolume {
  type: 'volume' | 'bind' | 'tmpfs' | 'npipe' | 'image' | 'cluster';
  /** Volume name (project-local key, before prefixing) or absolute host path; absent for anonymous volumes/tmpfs. */
  source?: string;
  target: string;
  read_only?: boolean;
  bind?: { create_host_path?: boolean; propagation?: string; selinux?: string };
  volume?: { nocopy?: boolean; subpath?: string };
  tmpfs?: { size?: number | string; mode?: number };
  consistency?: string;
}

export interface ServiceNetwork {
  aliases?: string[];
  ipv4_address?: string;
  ipv6_address?: string;
  priority?: number;
}

export interface DependsOn {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
  required: boolean;
  restart: boolean;
}

export interface Healthcheck {
  test?: string[];
  interval?: string;
  timeout?: string;
  start_period?: string;
  start_interval?: string;
  retries?: number;
  disable?: boolean;
}

export interface Resources {
  cpus?: string | number;
  memory?: string | number;
  pids?: number;
  [key: string]: unknown;
}

export interface Network {
  /** The engine-side name: `<project>_<key>` unless `name:` or external. */
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  internal?: boolean;
  attachable?: boolean;
  enable_ipv6?: boolean;
  ipam?: { driver?: string; config?: { subnet?: string; gateway?: string; ip_range?: string }[] };
  labels: Record<string, string>;
  [key: string]: unknown;
}

export interface Volume {
  /** The engine-side name: `<project>_<key>` unless `name:` or external. */
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  labels: Record<string, string>;
  [key: string]: unknown;
}

/** A top-level secret or config: from a file, the environment or inline content. */
export interface FileObject {
  name: string;
  file?: string;
  environment?: string;
  content?: string;
  external?: boolean;
  [key: string]: unknown;
}

export interface FileReference {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

/** How the loader is asked for a project (CLI flags and environment). */
export interface LoadOptions {
  /** `-f` files in order; empty → discovery from `cwd` upwards. `-` = stdin. */
  files: string[];
  projectName?: string;
  projectDirectory?: string;
  envFiles: string[];
  profiles: string[];
  cwd: string;
  /** The process environment (COMPOSE_PROJECT_NAME, COMPOSE_FILE, COMPOSE_PROFILES, … are read from here). */
  env: Record<string, string | undefined>;
  /** Services named on the command line: enabled whatever their profiles, with what they depend on. */
  services?: string[];
}

/** A project that cannot be loaded. The message names the file, the line when known, and the key. */
export class ComposeError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'ComposeError';
  }
}
