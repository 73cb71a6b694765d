// `docker update` resources → `runc update` flags (only what was given).
import type { ContainerRunSpec } from './types.js';

export function updateArgs(r: ContainerRunSpec['resources'], swapAccounting: boolean): string[] {
  const a: string[] = [];
  if (r.memory !== undefined) a.push(`--memory=${r.memory}`);
  if (swapAccounting) {
    // As at create: a new memory limit without a swap value gets twice the memory as memory+swap.
    if (r.memorySwap !== undefined && r.memorySwap !== 0) a.push(`--memory-swap=${r.memorySwap}`);
    else if (r.memory !== undefined && r.memory > 0) a.push(`--memory-swap=${r.memory * 2}`);
  }
  if (r.cpuShares !== undefined) a.push(`--cpu-share=${r.cpuShares}`);
  if (r.nanoCpus) a.push('--cpu-period=100000', `--cpu-quota=${Math.round((r.nanoCpus * 100000) / 1e9)}`);
  else {
    if (r.cpuPeriod !== undefined) a.push(`--cpu-period=${r.cpuPeriod}`);
    if (r.cpuQuota !== undefined) a.push(`--cpu-quota=${r.cpuQuota}`);
  }
  if (r.cpusetCpus !== undefined) a.push(`--cpuset-cpus=${r.cpusetCpus}`);
  if (r.cpusetMems !== undefined) a.push(`--cpuset-mems=${r.cpusetMems}`);
  if (r.pidsLimit !== undefined) a.push(`--pids-limit=${r.pidsLimit > 0 ? r.pidsLimit : -1}`);
  return a;
}
