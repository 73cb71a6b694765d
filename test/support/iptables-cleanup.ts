// dockerd adds FORWARD/DOCKER/isolation rules for its bridge and a MASQUERADE
// rule for its subnet, and leaves them behind when it stops. A test that ran a
// private dockerd removes them with its bridge, so no rule outlives the test.
import { spawnSync } from 'node:child_process';

/** Deletes every filter/nat rule that names `iface` as its in/out interface. */
export function dropRulesForInterface(iface: string): void {
  for (const table of ['filter', 'nat']) {
    const saved = spawnSync('iptables-save', ['-t', table], { encoding: 'utf8' }).stdout ?? '';
    for (const line of saved.split('\n')) {
      if (!line.startsWith('-A ')) continue;
      const words = line.split(' ');
      const names = words.some((w, i) => w === iface && (words[i - 1] === '-i' || words[i - 1] === '-o'));
      if (!names) continue;
      // These rules carry no quoted arguments, so splitting on spaces keeps them intact.
      spawnSync('iptables', ['-w', '-t', table, '-D', ...words.slice(1)]);
    }
  }
}
