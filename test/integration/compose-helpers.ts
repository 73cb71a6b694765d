// Engine API calls for the compose tests. The tests block the event loop in
// spawnSync for seconds, so the keep-alive socket of an earlier call may have
// been closed by berthd without Node noticing yet: such a call is retried once.
import assert from 'node:assert/strict';
import { ApiError, type Client } from '../../src/client/client.js';

const stale = (e: unknown): boolean =>
  ['EPIPE', 'ECONNRESET'].includes((e as NodeJS.ErrnoException).code ?? '');

export async function api<T = any>(
  client: Client,
  path: string,
  query?: Record<string, string | number>,
): Promise<T> {
  try {
    return await client.get<T>(path, query);
  } catch (e) {
    if (!stale(e)) throw e;
    return client.get<T>(path, query);
  }
}

/** Asserts that the engine answers 404 for `path` (the object is gone). */
export async function assertGone(client: Client, path: string): Promise<void> {
  await assert.rejects(api(client, path), (e: unknown) => e instanceof ApiError && e.status === 404);
}
