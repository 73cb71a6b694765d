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
    snap[t] = new Set(run('iptables', ['-w', '10', '-t', t, '-S']).stdout.split('\n').filter(Boolean));
  return snap;
}

const DOCKER_CHAIN = /^-N (DOCKER(-[A-Z0-9-]+)?)$/;

/** The DOCKER* chains of a snapshot (any table), e.g. to tell what was there before a run. */
export function dockerChains(snap) {
  const all = Object.values(snap ?? {}).flatMap((lines) => [...lines]);
  return [...new Set(all.map((l) => DOCKER_CHAIN.exec(l)?.[1]).filter(Boolean))];
}

/**
 * Deletes every rule that names one of `bridges`, and rules added since
 * `before` in or into a DOCKER* chain that is new, then those new chains.
 * Returns the lines it removed.
 */
export function iptablesRestore(before, bridges) {
  const removed = [];
  for (const t of TABLES) {
    const now = run('iptables', ['-w', '10', '-t', t, '-S']).stdout.split('\n').filter(Boolean);
    const newChains = now
      .filter((l) => !before[t].has(l))
      .map((l) => DOCKER_CHAIN.exec(l)?.[1])
      .filter(Boolean);
    // Our bridges' names belong to this bench alone: their rules go even if a
    // crashed earlier run left them behind before this one's snapshot.
    const namesBridge = (l) => bridges.some((b) => new RegExp(`(^|\\s)${b}(\\s|$|")|:${b}"`).test(l));
    const inNewChain = (l) => newChains.some((c) => new RegExp(`^-A ${c} |-j ${c}(\\s|$)`).test(l));
    for (const l of now) {
      if (!l.startsWith('-A ')) continue;
      if (!namesBridge(l) && (before[t].has(l) || !inNewChain(l))) continue;
      const args = l
        .slice(3)
        .match(/"[^"]*"|\S+/g)
        .map((a) => a.replace(/^"(.*)"$/, '$1'));
      if (run('iptables', ['-w', '10', '-t', t, '-D', ...args]).code === 0) removed.push(`${t}: ${l}`);
    }
    for (const c of newChains) {
      run('iptables', ['-w', '10', '-t', t, '-F', c]);
      if (run('iptables', ['-w', '10', '-t', t, '-X', c]).code === 0) removed.push(`${t}: -X ${c}`);
    }
  }
  return removed;
}
