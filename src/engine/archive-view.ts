// A host directory that shows a container's filesystem as the container sees
// it: /proc/<pid>/root while it runs (every mount included); for a stopped
// container its overlay rootfs mounted for the duration, with its volumes
// and binds bind-mounted in (held under the container's lock, so a start
// waits), then all taken down again.
import { execFile } from 'node:child_process';
import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { isMountPoint } from '../runtime/rootfs.js';
import { resolveInRoot } from '../volume/scope.js';
import type { ContainerService } from './containers.js';
import type { ContainerRecord } from './containers-model.js';

const run = promisify(execFile);

export interface ViewOptions {
  /** Bind volumes and binds in (cp); export and diff want the rootfs alone. */
  withMounts: boolean;
}

export async function withContainerRoot<T>(
  svc: ContainerService,
  c: ContainerRecord,
  opts: ViewOptions,
  fn: (root: string, running: boolean) => Promise<T>,
): Promise<T> {
  if (c.state.Running && c.state.Pid && opts.withMounts) return fn(`/proc/${c.state.Pid}/root`, true);
  // The caller gets fn's result as soon as fn is done; the unmount (which
  // syncs the overlay's upper file system: ~0.1–0.3 s after a copy in) goes
  // on under the container's lock, so a start or removal still waits for it.
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void): void => {
      if (!settled) {
        settled = true;
        f();
      }
    };
    svc.lifecycle
      .locked(c.id, async () => {
        const merged = svc.paths(c.id).merged;
        if (c.state.Running && isMountPoint(merged)) {
          const r =
            opts.withMounts && c.state.Pid
              ? await fn(`/proc/${c.state.Pid}/root`, true)
              : await fn(merged, true);
          return settle(() => resolve(r));
        }
        await svc.lifecycle.mountRootfs(c);
        const bound: string[] = [];
        try {
          if (opts.withMounts) await bindMounts(c, merged, bound);
          const r = await fn(merged, false);
          settle(() => resolve(r));
        } finally {
          // Let the caller answer first: the unmount blocks while it syncs.
          if (settled) await new Promise((r) => setImmediate(r));
          for (const t of bound.reverse())
            await run('umount', [t]).catch(() => run('umount', ['-l', t]).catch(() => undefined));
          await svc.lifecycle.unmountRootfs(c);
        }
      })
      .catch((e: unknown) => settle(() => reject(e)));
  });
}

async function bindMounts(c: ContainerRecord, root: string, bound: string[]): Promise<void> {
  const points = [...(c.mounts ?? [])]
    .filter((m) => m.Type !== 'tmpfs' && m.Source)
    .sort((a, b) => a.Destination.split('/').length - b.Destination.split('/').length);
  for (const m of points) {
    const source = m.subpath ? path.join(m.Source, m.subpath) : m.Source;
    let st;
    try {
      st = statSync(source);
    } catch {
      continue;
    }
    const target = path.join(root, await resolveInRoot(root, m.Destination));
    if (st.isDirectory()) mkdirSync(target, { recursive: true });
    else {
      mkdirSync(path.dirname(target), { recursive: true });
      closeSync(openSync(target, 'a'));
    }
    await run('mount', ['--bind', source, target]);
    bound.push(target);
  }
}
