// Layer downloads for a pull: up to N blobs fetched at once, each streamed
// straight into the layer store (hashed, decompressed and scanned as the
// bytes arrive), committed in order through `parentReady`. A layer being
// fetched by another pull is shared, not fetched twice; a dropped connection
// is retried from scratch; a digest mismatch is fatal.
import { InvalidArgument } from '../api/errors.js';
import { chainIds } from '../image/chain.js';
import type { Descriptor } from '../image/archive.js';
import { TransportError, type RegistryClient } from '../distribution/client.js';
import { shortDigest, type Progress } from '../distribution/progress.js';
import { blobStream } from '../distribution/registry.js';
import { DigestMismatch } from '../store/content.js';
import type { Layer } from '../store/layers.js';
import type { ImageService } from './images.js';

/** A counting semaphore. */
export class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(private readonly max: number) {}
  async acquire(): Promise<() => void> {
    if (this.active >= this.max) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.queue.shift()?.();
    };
  }
  get busy(): boolean {
    return this.active >= this.max;
  }
}

const RETRIES = 3;

function retryable(e: unknown): boolean {
  if (e instanceof DigestMismatch || e instanceof InvalidArgument) return false;
  if (e instanceof TransportError) return true;
  const code = (e as NodeJS.ErrnoException).code;
  return (
    code === 'ECONNRESET' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    code === 'EPIPE' ||
    /aborted|socket hang up|premature/i.test((e as Error).message ?? '')
  );
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface LayerJob {
  client: RegistryClient;
  repo: string;
  layers: Descriptor[];
  diffIds: string[];
  progress: Progress;
  limiter: Limiter;
  /** Chain IDs this pull registered and holds pending (released on failure). */
  registered: Set<string>;
}

export class LayerFetcher {
  /** chain ID → registration in flight (shared between concurrent pulls). */
  private readonly inflight = new Map<string, Promise<Layer>>();
  /** How many pulls wait on a pending chain ID. */
  private readonly users = new Map<string, number>();

  constructor(private readonly images: ImageService) {}

  /** Registers every layer of the image; resolves with the top chain ID. */
  async fetchAll(job: LayerJob): Promise<string | null> {
    const { layers, diffIds, progress } = job;
    if (layers.length !== diffIds.length)
      throw new InvalidArgument(
        `invalid manifest, layers length mismatch: expected ${diffIds.length}, got ${layers.length}`,
      );
    const chains = chainIds(diffIds);
    const done: Promise<Layer | undefined>[] = [];
    for (let i = 0; i < layers.length; i++) {
      const id = shortDigest(layers[i].digest);
      if (this.images.layers.get(chains[i]) && !this.inflight.has(chains[i])) {
        progress.status('Already exists', id);
        done.push(Promise.resolve(undefined));
        continue;
      }
      progress.status('Pulling fs layer', id);
      const parentReady = i === 0 ? Promise.resolve(undefined) : done[i - 1];
      done.push(this.shared(chains[i], job, () => this.fetchOne(job, i, parentReady, chains[i - 1] ?? null)));
    }
    // Every layer settles before we report, so no download is left running.
    const results = await Promise.allSettled(done);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return chains.length ? chains[chains.length - 1] : null;
  }

  /** Joins a registration in flight for the same chain ID, or starts one. */
  private shared(chain: string, job: LayerJob, start: () => Promise<Layer>): Promise<Layer> {
    let p = this.inflight.get(chain);
    if (!p) {
      p = start().finally(() => this.inflight.delete(chain));
      this.inflight.set(chain, p);
    }
    this.users.set(chain, (this.users.get(chain) ?? 0) + 1);
    job.registered.add(chain);
    const mine = p;
    void mine.catch(() => undefined);
    return mine;
  }

  /** A pull is over: pending layers it held that nobody else waits for are let go. */
  release(job: LayerJob): void {
    const free: string[] = [];
    for (const c of job.registered) {
      const n = (this.users.get(c) ?? 1) - 1;
      if (n <= 0) {
        this.users.delete(c);
        free.push(c);
      } else this.users.set(c, n);
    }
    this.images.layers.settle(free);
  }

  private async fetchOne(
    job: LayerJob,
    i: number,
    parentReady: Promise<unknown>,
    parent: string | null,
  ): Promise<Layer> {
    const desc = job.layers[i];
    const id = shortDigest(desc.digest);
    let parentFailed = false;
    parentReady.catch(() => (parentFailed = true));
    for (let attempt = 1; ; attempt++) {
      if (job.limiter.busy) job.progress.status('Waiting', id);
      const release = await job.limiter.acquire();
      try {
        const res = await blobStream(job.client, job.repo, desc.digest);
        const total = Number(res.headers['content-length'] ?? desc.size) || desc.size;
        const meter = job.progress.meter('Downloading', id, total);
        res.once('end', release);
        res.once('error', (e) => meter.destroy(e));
        res.once('aborted', () =>
          meter.destroy(Object.assign(new Error('connection aborted'), { code: 'ECONNRESET' })),
        );
        meter.once('end', () => {
          job.progress.status('Verifying Checksum', id);
          job.progress.status('Download complete', id);
          job.progress.message({ status: 'Extracting', progressDetail: { current: total, total }, id });
        });
        const layer = await this.images
          .registerLayer(res.pipe(meter), parent, desc.digest, parentReady)
          .catch((e: unknown) => {
            res.destroy();
            if (e instanceof DigestMismatch)
              throw new InvalidArgument(`filesystem layer verification failed for digest ${desc.digest}`);
            throw e;
          });
        release();
        if (layer.diffId !== job.diffIds[i])
          throw new InvalidArgument(
            `layer ${desc.digest}: diff ID ${layer.diffId} does not match the image config (${job.diffIds[i]})`,
          );
        job.progress.status('Pull complete', id);
        return layer;
      } catch (e) {
        release();
        if (attempt >= RETRIES || parentFailed || !retryable(e)) throw e;
        for (let s = attempt; s > 0; s--) {
          job.progress.status(`Retrying in ${s} second${s > 1 ? 's' : ''}`, id);
          await sleep(1000);
        }
      }
    }
  }
}
