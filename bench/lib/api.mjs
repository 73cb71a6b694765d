// Bulk set-up through the Engine API (untimed work such as creating 200
// containers), so preparing a scenario does not cost hundreds of CLI starts.
import http from 'node:http';

export function api(host, method, urlPath, body) {
  const socketPath = host.replace(/^unix:\/\//, '');
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      {
        socketPath,
        method,
        path: urlPath,
        headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {},
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode >= 400)
            reject(new Error(`${method} ${urlPath} → ${res.statusCode}: ${text.trim()}`));
          else resolve(text ? safeJson(text) : undefined);
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const safeJson = (t) => {
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
};

/** Runs fn over items with at most `limit` in flight. */
export async function pool(items, limit, fn) {
  const out = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Creates (and optionally starts) `n` busybox containers named `<prefix><i>`. */
export async function createContainers(host, prefix, n, { cmd = ['true'], start = false } = {}) {
  await pool([...Array(n).keys()], 4, async (i) => {
    const name = `${prefix}${i}`;
    await api(host, 'POST', `/containers/create?name=${name}`, { Image: 'busybox', Cmd: cmd });
    if (start) await api(host, 'POST', `/containers/${name}/start`);
  });
  return [...Array(n).keys()].map((i) => `${prefix}${i}`);
}

/** Removes containers by name, forcefully, a few at a time. */
export async function removeContainers(host, names) {
  await pool(names, 4, (n) => api(host, 'DELETE', `/containers/${n}?force=1&v=1`).catch(() => undefined));
}
