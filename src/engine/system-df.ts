// `GET /system/df` (`docker system df`): layer space, images with their
// container counts and shared sizes, containers with sizes, volumes with
// usage, and the build cache — or only the `type`s asked for.
import { InvalidArgument } from '../api/errors.js';
import type { BuildService } from './build.js';
import type { ContainerService } from './containers.js';
import { listImages } from './images-view.js';
import type { ImageService } from './images.js';
import type { VolumeService } from './volumes.js';

export interface DiskUsageSources {
  images: ImageService;
  containers: ContainerService;
  volumes: VolumeService;
  builds: BuildService;
}

const TYPES = ['container', 'image', 'volume', 'build-cache'];

export async function diskUsage(
  s: DiskUsageSources,
  types: string[],
  version: string,
): Promise<Record<string, unknown>> {
  for (const t of types) if (!TYPES.includes(t)) throw new InvalidArgument(`unknown object type: ${t}`);
  const want = (t: string): boolean => types.length === 0 || types.includes(t);
  const out: Record<string, unknown> = {};
  if (want('image')) {
    // How many images use each layer: a layer under two or more is shared space.
    const users = new Map<string, number>();
    const sizes = new Map<string, number>();
    const chains = new Map<string, string[]>();
    for (const img of s.images.records.all()) {
      const chain = s.images.layers.chain(img.topLayer);
      chains.set(
        img.id,
        chain.map((l) => l.chainId),
      );
      for (const l of chain) {
        users.set(l.chainId, (users.get(l.chainId) ?? 0) + 1);
        sizes.set(l.chainId, l.size);
      }
    }
    const inUse = new Map<string, number>();
    for (const c of s.containers.store.all()) inUse.set(c.imageId, (inUse.get(c.imageId) ?? 0) + 1);
    out.LayersSize = [...sizes.values()].reduce((a, b) => a + b, 0);
    out.Images = listImages(s.images, new Map(), false, version).map((j) => {
      const id = j.Id as string;
      const shared = (chains.get(id) ?? [])
        .filter((c) => (users.get(c) ?? 0) > 1)
        .reduce((n, c) => n + (sizes.get(c) ?? 0), 0);
      return { ...j, Containers: inUse.get(id) ?? 0, SharedSize: shared };
    });
  }
  if (want('container'))
    out.Containers = await s.containers.list({ all: true, limit: -1, size: true, filters: new Map() });
  if (want('volume')) out.Volumes = await s.volumes.withUsage();
  if (want('build-cache')) out.BuildCache = s.builds.usage();
  return out;
}
