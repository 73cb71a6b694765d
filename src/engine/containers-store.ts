// Container records in SQLite plus an in-memory index for lookups. Every
// state change is one UPDATE (one transaction), so a crash leaves either the
// old or the new record.
import { Conflict, InvalidArgument, NotFound } from '../api/errors.js';
import type { DB } from '../store/db.js';
import type { ContainerRecord } from './containers-model.js';

export class ContainerStore {
  private readonly byId = new Map<string, ContainerRecord>();

  constructor(private readonly db: DB) {
    for (const row of db.prepare('SELECT doc FROM containers').all() as { doc: string }[]) {
      const c = JSON.parse(row.doc) as ContainerRecord;
      this.byId.set(c.id, c);
    }
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  /** Newest first, as `docker ps` lists them. */
  newestFirst(): ContainerRecord[] {
    return this.all().sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
  }

  get(id: string): ContainerRecord | undefined {
    return this.byId.get(id);
  }

  byName(name: string): ContainerRecord | undefined {
    const n = name.startsWith('/') ? name : '/' + name;
    for (const c of this.byId.values()) if (c.name === n) return c;
    return undefined;
  }

  /** Full ID, then name, then unique ID prefix (moby's GetContainer order). */
  find(ref: string): ContainerRecord {
    if (!ref) throw new NotFound('No such container: ');
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const named = this.byName(ref);
    if (named) return named;
    if (/^[0-9a-f]+$/.test(ref)) {
      const hits = this.all().filter((c) => c.id.startsWith(ref));
      if (hits.length > 1) throw new InvalidArgument(`multiple IDs found with provided prefix: ${ref}`);
      if (hits.length === 1) return hits[0];
    }
    throw new NotFound(`No such container: ${ref}`);
  }

  tryFind(ref: string): ContainerRecord | undefined {
    try {
      return this.find(ref);
    } catch {
      return undefined;
    }
  }

  /** Throws Docker's 409 when `name` ("/x") is taken by another container. */
  checkNameFree(name: string, self?: string): void {
    const other = this.byName(name);
    if (other && other.id !== self)
      throw new Conflict(
        `Conflict. The container name "${name}" is already in use by container "${other.id}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
  }

  insert(c: ContainerRecord): void {
    this.checkNameFree(c.name);
    this.db
      .prepare('INSERT INTO containers (id, name, image_id, created_ns, doc) VALUES (?, ?, ?, ?, ?)')
      .run(c.id, c.name, c.imageId, c.created, JSON.stringify(c));
    this.byId.set(c.id, c);
  }

  /** Persists the record as it is now. */
  save(c: ContainerRecord): void {
    if (!this.byId.has(c.id)) return; // removed meanwhile
    this.db.prepare('UPDATE containers SET name = ?, doc = ? WHERE id = ?').run(c.name, JSON.stringify(c), c.id);
  }

  remove(id: string): void {
    this.db.prepare('DELETE FROM containers WHERE id = ?').run(id);
    this.byId.delete(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  usesImage(imageId: string): boolean {
    for (const c of this.byId.values()) if (c.imageId === imageId) return true;
    return false;
  }
}
