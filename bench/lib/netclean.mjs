// Host network state the bench creates or lets dockerd create: the bridges
// (created and deleted by name) and iptables rules, removed by comparing
// with a snapshot taken before anything started. Only rules that name one of
// our bridges, or chains dockerd made that did not exist before, are touched.
import { run } from './proc.mjs';

export function linkExists(name) {
  return run('ip', ['link', 'show', name]).code === 0;
}

export function addBridge(name, cidr) {
  if (linkExists(name)) run('ip', ['link', 'del', name]); // left by a crashed run of ours
  for (const args of [
    ['link', 'add', name, 'type', 'bridge'],
    ['addr', 'add', cidr, 'dev', name],
    ['link', 'set', name, 'up'],
  ]) {
    const r = run('ip', args);
    if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
  }
}

export function deleteBridge(name) {
  if (linkExists(name)) run('ip', ['link', 'del', name]);
}

const TABLES = ['filter', 'nat'];

/** { table: Set of `-A …`/`-N …` lines } */
export function iptablesSnapshot() {
  const snap = {};
  for (const t of TABLES)
    snap[t] = new Set(run('iptables', ['-t', t, '-S']).stdout.split('\n').filter(Boolean));
  return snap;
}

const DOCKER_CHAIN = /^-N (DOCKER(-[A-Z0-9-]+)?)$/;

/**
 * Deletes rules added since `before` that mention one of `bridges` or jump
 * into a DOCKER* chain that is new, then the new DOCKER* chains themselves.
 * Returns the lines it removed.
 */
export function iptablesRestore(before, bridges) {
  const removed = [];
  for (const t of TABLES) {
    const now = run('iptables', ['-t', t, '-S']).stdout.split('\n').filter(Boolean);
    const newChains = now
      .filter((l) => !before[t].has(l))
      .map((l) => DOCKER_CHAIN.exec(l)?.[1])
      .filter(Boolean);
    const ours = (l) =>
      bridges.some((b) => new RegExp(`(^|\\s)${b}(\\s|$|")|:${b}"`).test(l)) ||
      newChains.some((c) => new RegExp(`^-A ${c} |-j ${c}(\\s|$)`).test(l));
    for (const l of now) {
      if (!l.startsWith('-A ') || before[t].has(l) || !ours(l)) continue;
      const args = l
        .slice(3)
        .match(/"[^"]*"|\S+/g)
        .map((a) => a.replace(/^"(.*)"$/, '$1'));
      if (run('iptables', ['-t', t, '-D', ...args]).code === 0) removed.push(`${t}: ${l}`);
    }
    for (const c of newChains) {
      run('iptables', ['-t', t, '-F', c]);
      if (run('iptables', ['-t', t, '-X', c]).code === 0) removed.push(`${t}: -X ${c}`);
    }
  }
  return removed;
}
