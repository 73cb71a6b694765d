// SQLite metadata store: one database in WAL mode, schema changed only by
// numbered migrations that run in a transaction at open.
import Database from 'better-sqlite3';

export type DB = Database.Database;

/**
 * Each entry migrates the schema from version i to i+1. Append only: never
 * edit a migration that has landed, add the next one.
 */
const migrations: ((db: DB) => void)[] = [
  // 1: images, their references, and the layers they are made of.
  (db) =>
    db.exec(`
      CREATE TABLE layers (
        chain_id   TEXT PRIMARY KEY,
        diff_id    TEXT NOT NULL,
        parent     TEXT REFERENCES layers(chain_id),
        blob       TEXT NOT NULL,      -- digest of the stored blob (may be compressed)
        media_type TEXT NOT NULL,
        size       INTEGER NOT NULL    -- bytes of the unpacked content
      );
      CREATE TABLE images (
        id         TEXT PRIMARY KEY,   -- sha256 of the config blob, like Docker's image ID
        config     TEXT NOT NULL,      -- the raw config JSON, byte for byte
        top_layer  TEXT REFERENCES layers(chain_id),
        size       INTEGER NOT NULL,
        created    TEXT NOT NULL,      -- the config's created time
        parent     TEXT,               -- local parent image (build, commit)
        loaded_at  INTEGER NOT NULL    -- ms since epoch, for before/since ordering
      );
      CREATE TABLE image_refs (
        ref        TEXT PRIMARY KEY,   -- normalised: docker.io/library/busybox:latest
        image_id   TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        is_digest  INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX image_refs_by_image ON image_refs(image_id);
    `),
  // 2: containers; the record is one JSON document, rewritten in one
  // transaction per state change. Name and image are columns for uniqueness
  // and the image-in-use check.
  (db) =>
    db.exec(`
      CREATE TABLE containers (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,  -- "/name"
        image_id   TEXT NOT NULL,
        created_ns TEXT NOT NULL,         -- RFC 3339 nano, for ordering
        doc        TEXT NOT NULL          -- the ContainerRecord JSON
      );
      CREATE INDEX containers_by_image ON containers(image_id);
    `),
  // 3: images remember when they were last tagged (inspect Metadata.LastTagTime).
  (db) => db.exec(`ALTER TABLE images ADD COLUMN last_tag_time TEXT;`),
  // 4: where each blob came from (registry + repository), so a push can mount
  // it across repositories instead of uploading it again (Docker's v2 metadata).
  (db) =>
    db.exec(`
      CREATE TABLE blob_sources (
        blob       TEXT NOT NULL,
        registry   TEXT NOT NULL,   -- domain: docker.io, localhost:5000
        repo       TEXT NOT NULL,   -- path: library/busybox
        PRIMARY KEY (blob, registry, repo)
      );
    `),
  // 5: networks, container endpoints on them, and each container's network
  // sandbox (namespace file, published ports) — what live restore rebuilds from.
  (db) =>
    db.exec(`
      CREATE TABLE networks (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,
        doc        TEXT NOT NULL          -- the NetworkRecord JSON
      );
      CREATE TABLE net_endpoints (
        network_id   TEXT NOT NULL REFERENCES networks(id),
        container_id TEXT NOT NULL,
        doc          TEXT NOT NULL,       -- the EndpointRecord JSON
        PRIMARY KEY (network_id, container_id)
      );
      CREATE TABLE net_sandboxes (
        container_id TEXT PRIMARY KEY,
        doc          TEXT NOT NULL        -- the SandboxRecord JSON
      );
    `),
  // 6: volumes (the local driver): labels and driver options as JSON; the
  // data lives in volumes/<name>/_data.
  (db) =>
    db.exec(`
      CREATE TABLE volumes (
        name       TEXT PRIMARY KEY,
        driver     TEXT NOT NULL,
        created    TEXT NOT NULL,   -- RFC 3339, seconds
        labels     TEXT,            -- JSON object or null
        options    TEXT             -- JSON object or null
      );
    `),
  // 7: the builder's step cache: the image a step made on a parent image,
  // keyed by a digest of the expanded instruction and the files it copied.
  (db) =>
    db.exec(`
      CREATE TABLE build_cache (
        parent     TEXT NOT NULL,     -- image ID the step ran on ('' for FROM scratch)
        key        TEXT NOT NULL,     -- sha256 of the step's cache key
        image_id   TEXT NOT NULL,     -- the image the step produced
        created    INTEGER NOT NULL,  -- ms since epoch
        last_used  INTEGER NOT NULL,
        PRIMARY KEY (parent, key)
      );
      CREATE INDEX build_cache_by_image ON build_cache(image_id);
    `),
];

export function openDatabase(file: string): DB {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

export function schemaVersion(db: DB): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: DB): void {
  const from = schemaVersion(db);
  if (from > migrations.length)
    throw new Error(
      `database schema version ${from} is newer than this berthd understands (${migrations.length})`,
    );
  for (let v = from; v < migrations.length; v++) {
    db.transaction(() => {
      migrations[v](db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
