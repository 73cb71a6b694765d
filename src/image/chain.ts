// OCI chain IDs: ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
import { sha256 } from './digest.js';

export function chainId(parent: string | null, diffId: string): string {
  return parent ? sha256(parent + ' ' + diffId) : diffId;
}

/** Chain IDs of every prefix of the diff ID list, bottom first. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  let parent: string | null = null;
  for (const d of diffIds) {
    parent = chainId(parent, d);
    out.push(parent);
  }
  return out;
}
