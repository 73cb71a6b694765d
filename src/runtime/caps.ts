// Linux capabilities: Docker's default set, and --cap-add/--cap-drop/--privileged.

export const DEFAULT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Every capability the kernel knows (0..40 as of Linux 5.9). */
export const ALL_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** Docker accepts "net_admin", "NET_ADMIN" and "CAP_NET_ADMIN". */
export function normalizeCap(name: string): string {
  const up = name.trim().toUpperCase();
  if (up === 'ALL') return 'ALL';
  return up.startsWith('CAP_') ? up : `CAP_${up}`;
}

export class UnknownCapability extends Error {}

/**
 * Docker's rules: add ALL gives every capability except the dropped ones;
 * drop ALL keeps only the added ones; otherwise defaults minus drops, plus adds.
 */
export function computeCaps(capAdd: string[], capDrop: string[], privileged: boolean): string[] {
  if (privileged) return [...ALL_CAPS];
  const add = capAdd.map(normalizeCap);
  const drop = capDrop.map(normalizeCap);
  for (const c of [...add, ...drop]) {
    if (c !== 'ALL' && !ALL_CAPS.includes(c)) throw new UnknownCapability(`unknown capability: "${c}"`);
  }
  let caps: string[];
  if (add.includes('ALL')) caps = ALL_CAPS.filter((c) => !drop.includes(c));
  else if (drop.includes('ALL')) caps = [...add];
  else caps = [...DEFAULT_CAPS.filter((c) => !drop.includes(c)), ...add];
  return [...new Set(caps)];
}
