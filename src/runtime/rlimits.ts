// rlimits: Docker's names → OCI types, and clamping to what this engine may
// grant. Without CAP_SYS_RESOURCE a hard limit above our own makes runc fail
// ("error setting rlimit type 7"), so every limit is clamped to our hard limit.
import { readFileSync } from 'node:fs';

export interface OciRlimit {
  type: string;
  soft: number | typeof RLIM_INFINITY;
  hard: number | typeof RLIM_INFINITY;
}

/** Rows of /proc/self/limits → OCI rlimit type. */
const LIMITS_ROWS: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU',
  'Max file size': 'RLIMIT_FSIZE',
  'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK',
  'Max core file size': 'RLIMIT_CORE',
  'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC',
  'Max open files': 'RLIMIT_NOFILE',
  'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS',
  'Max file locks': 'RLIMIT_LOCKS',
  'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE',
  'Max nice priority': 'RLIMIT_NICE',
  'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
};

/** Hard limits of the engine process, by OCI type (Infinity for "unlimited"). */
export function parseProcLimits(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n').slice(1)) {
    const row = Object.keys(LIMITS_ROWS).find((k) => line.startsWith(k));
    if (!row) continue;
    const cols = line.slice(row.length).trim().split(/\s+/);
    out[LIMITS_ROWS[row]] = cols[1] === 'unlimited' ? Infinity : Number(cols[1]);
  }
  return out;
}

export function hostHardLimits(): Record<string, number> {
  return parseProcLimits(readFileSync('/proc/self/limits', 'utf8'));
}

/** Docker's `--ulimit nofile=…` name → OCI type. */
export function ociRlimitType(name: string): string {
  return `RLIMIT_${name.toUpperCase()}`;
}

// Docker's default for every container (containerd's default spec, raised by dockerd).
export const DEFAULT_NOFILE = 1048576;

// The kernel's RLIM_INFINITY (2^64-1) cannot be a JS number; spec.ts writes
// this marker and `serializeSpec` turns it into the literal 18446744073709551615.
export const RLIM_INFINITY = 'RLIM_INFINITY';

export function clampRlimits(
  ulimits: { Name: string; Soft: number; Hard: number }[] | undefined,
  hostHard: Record<string, number>,
): OciRlimit[] {
  const wanted = new Map<string, { soft: number; hard: number }>();
  wanted.set('RLIMIT_NOFILE', { soft: DEFAULT_NOFILE, hard: DEFAULT_NOFILE });
  for (const u of ulimits ?? []) {
    const soft = u.Soft < 0 ? Infinity : u.Soft;
    const hard = u.Hard < 0 ? Infinity : u.Hard;
    wanted.set(ociRlimitType(u.Name), { soft, hard });
  }
  const out: OciRlimit[] = [];
  for (const [type, { soft, hard }] of wanted) {
    const limit = hostHard[type] ?? Infinity;
    const h = Math.min(hard, limit);
    const s = Math.min(soft, h);
    out.push({
      type,
      soft: Number.isFinite(s) ? s : RLIM_INFINITY,
      hard: Number.isFinite(h) ? h : RLIM_INFINITY,
    });
  }
  return out;
}
