// Networks, endpoints and sandboxes in SQLite; one statement (or
// transaction) per change so a crash leaves a consistent picture.
import type { DB } from '../store/db.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from './model.js';

export class NetworkStore {
  constructor(private readonly db: DB) {}

  networks(): NetworkRecord[] {
    return (this.db.prepare('SELECT doc FROM networks').all() as { doc: string }[]).map((r) =>
      JSON.parse(r.doc),
    );
  }

  putNetwork(n: NetworkRecord): void {
    this.db
      .prepare('INSERT OR REPLACE INTO networks (id, name, doc) VALUES (?, ?, ?)')
      .run(n.id, n.name, JSON.stringify(n));
  }

  deleteNetwork(id: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM net_endpoints WHERE network_id = ?').run(id);
      this.db.prepare('DELETE FROM networks WHERE id = ?').run(id);
    })();
  }

  endpoints(): EndpointRecord[] {
    return (this.db.prepare('SELECT doc FROM net_endpoints').all() as { doc: string }[]).map((r) =>
      JSON.parse(r.doc),
    );
  }

  putEndpoint(e: EndpointRecord): void {
    this.db
      .prepare('INSERT OR REPLACE INTO net_endpoints (network_id, container_id, doc) VALUES (?, ?, ?)')
      .run(e.networkId, e.containerId, JSON.stringify(e));
  }

  deleteEndpoint(networkId: string, containerId: string): void {
    this.db
      .prepare('DELETE FROM net_endpoints WHERE network_id = ? AND container_id = ?')
      .run(networkId, containerId);
  }

  sandboxes(): SandboxRecord[] {
    return (this.db.prepare('SELECT doc FROM net_sandboxes').all() as { doc: string }[]).map((r) =>
      JSON.parse(r.doc),
    );
  }

  putSandbox(s: SandboxRecord): void {
    this.db
      .prepare('INSERT OR REPLACE INTO net_sandboxes (container_id, doc) VALUES (?, ?)')
      .run(s.containerId, JSON.stringify(s));
  }

  deleteSandbox(containerId: string): void {
    this.db.prepare('DELETE FROM net_sandboxes WHERE container_id = ?').run(containerId);
  }
}
