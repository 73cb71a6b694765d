// The build context held in memory as it arrives, up to a budget, with a
// model of the tree it would unpack to. When every step of a build is found
// in the cache — a no-change rebuild — the context never touches the disk:
// the Dockerfile is read from memory and the cache keys of COPY/ADD come
// from the model (the same digests cache-hash.ts takes from the disk).
// The first step that needs real files (a cache miss, a bind mount, a glob
// or a symlink among the sources) writes the context out once, through
// context-unpack.ts; a context larger than the budget is written out while
// it streams in. The model only covers plain archives: a name seen twice, a
// hard link, a device or a member below a symlink turns it off, and then the
// disk is the only truth.
import { createHash, type Hash } from 'node:crypto';
import { cleanSource } from './copy.js';
import type { ContextMember, MemberSink } from './context-tar.js';
import { ContextWriter, safeMemberPath } from './context-unpack.js';

interface Node {
  kind: 'f' | 'd' | 'l';
  /** Permission bits as lstat would report them after unpacking. */
  mode: number;
  size: number;
  digest: string;
  target: string;
  children: Map<string, Node> | null;
  /** A file's member and data while they are held in memory. */
  recorded?: Recorded;
}

interface Recorded {
  m: ContextMember;
  data: Buffer[];
  done: boolean;
}

const dirNode = (mode: number): Node => ({
  kind: 'd',
  mode,
  size: 0,
  digest: '',
  target: '',
  children: new Map(),
});

/** What a COPY's sources hash to, from the model. */
export interface ModelSources {
  hash: string;
  kind: 'file' | 'dir' | 'multi';
}

export class ContextMemory implements MemberSink {
  /** The unpack dir itself: mkdtemp makes it 0700. */
  private readonly root = dirNode(0o700);
  private modelOk = true;
  private readonly recorded: Recorded[] = [];
  private bytes = 0;
  private current: { rec: Recorded | null; node: Node | null; hash: Hash | null } | null = null;
  /** Set once the context goes to disk (over budget, or asked for). */
  private writer: ContextWriter | null = null;
  private written: Promise<void> | null = null;
  private streamEnded = false;

  constructor(
    private readonly dir: string,
    private readonly budget: number,
    /** Mode of directories made implicitly (0777 less the umask), as mkdir gives them. */
    private readonly implicitDirMode: number,
  ) {}

  /** Content digests of regular files on disk (absolute path → sha256 hex); complete once written. */
  digestOf(abs: string): string | undefined {
    const prefix = this.dir + '/';
    if (!this.writer || !abs.startsWith(prefix)) return undefined;
    return this.writer.digests.get(abs.slice(prefix.length));
  }

  async begin(m: ContextMember): Promise<void> {
    const node = this.model(m);
    const hash = node?.kind === 'f' ? createHash('sha256') : null;
    if (this.writer) {
      this.current = { rec: null, node, hash };
      return this.writer.begin(m);
    }
    const rec: Recorded = { m, data: [], done: false };
    this.recorded.push(rec);
    if (node?.kind === 'f') node.recorded = rec;
    this.current = { rec, node, hash };
  }

  async data(piece: Buffer): Promise<void> {
    const c = this.current!;
    c.hash?.update(piece);
    if (this.writer) return this.writer.data(piece);
    c.rec!.data.push(piece);
    this.bytes += piece.length;
    if (this.bytes > this.budget) await this.spill();
  }

  async end(): Promise<void> {
    const c = this.current!;
    this.current = null;
    if (c.node && c.hash) c.node.digest = c.hash.digest('hex');
    if (c.rec) c.rec.done = true;
    if (this.writer) return this.writer.end();
  }

  /** The stream is complete: a context that went to disk while streaming gets its links and modes. */
  async streamDone(): Promise<void> {
    this.streamEnded = true;
    if (this.writer) {
      this.written = this.writer.finish();
      await this.written;
    }
  }

  /** After a failed stream: queued disk work settles; memory is let go. */
  async abort(): Promise<void> {
    this.recorded.length = 0;
    await this.writer?.abort();
  }

  /** Writes the context to its dir (once); every later call waits for the same write. */
  materialize(): Promise<void> {
    if (!this.streamEnded) throw new Error('the build context is still arriving');
    this.written ??= (async () => {
      this.writer = new ContextWriter(this.dir);
      await this.replay();
      await this.writer.finish();
    })();
    return this.written;
  }

  /**
   * A file of the context from memory: its bytes, null when the context has
   * no entry there, undefined when only the disk can tell (not a regular
   * file, the model turned off, or the data already went to disk).
   */
  fileContent(rel: string): Buffer | null | undefined {
    if (!this.modelOk) return undefined;
    const node = this.lookup(rel);
    if (!node) return this.lookupBlocked(rel) ? undefined : null;
    if (node.kind !== 'f' || this.writer) return undefined;
    const rec = node.recorded;
    return rec ? Buffer.concat(rec.data) : undefined;
  }

  /** Takes `rel` out of the model (what dockerd drops: .dockerignore and the Dockerfile when listed there). */
  drop(rel: string): void {
    const parts = rel.split('/').filter(Boolean);
    let d: Node | undefined = this.root;
    for (const p of parts.slice(0, -1)) d = d?.children?.get(p);
    const last = parts[parts.length - 1];
    if (d?.children?.get(last ?? '')?.kind === 'f') d.children.delete(last);
    else if (d?.children?.has(last ?? '')) this.modelOk = false;
  }

  /**
   * The cache-key hash of context sources (cache-hash.ts's definition) from
   * the model; null when only the disk can answer (globs, symlinks, missing
   * names, a model that was turned off).
   */
  hashSources(words: string[]): ModelSources | null {
    if (!this.modelOk || !this.streamEnded) return null;
    const h = createHash('sha256');
    let first: Node | null = null;
    for (const w of words) {
      const rel = cleanSource(w);
      if (rel === null || /[*?[]/.test(rel)) return null;
      const node = this.lookup(rel);
      if (!node || node.kind === 'l') return null;
      first ??= node;
      h.update(`${rel}\0${entry(node)}\n`);
    }
    if (!first) return null;
    const kind = words.length > 1 ? 'multi' : first.kind === 'd' ? 'dir' : 'file';
    return { hash: h.digest('hex'), kind };
  }

  /** True when the way to `rel` runs into something other than a directory (a symlink may lead on). */
  private lookupBlocked(rel: string): boolean {
    let node: Node = this.root;
    for (const p of rel.split('/').filter(Boolean)) {
      if (node.kind !== 'd') return true;
      const next = node.children!.get(p);
      if (!next) return false;
      node = next;
    }
    return false;
  }

  /** The node at `rel`, through real directories only. */
  private lookup(rel: string): Node | null {
    let node: Node = this.root;
    for (const p of rel.split('/').filter(Boolean)) {
      const next = node.kind === 'd' ? node.children!.get(p) : undefined;
      if (!next) return null;
      node = next;
    }
    return node;
  }

  /** Applies a member to the model; returns a file's node (its digest comes at the end). */
  private model(m: ContextMember): Node | null {
    const rel = safeMemberPath(m.name);
    if (!this.modelOk || rel === null || rel === '') return null;
    const parts = rel.split('/');
    const name = parts.pop()!;
    let d = this.root;
    for (const p of parts) {
      let c = d.children!.get(p);
      if (!c) d.children!.set(p, (c = dirNode(this.implicitDirMode)));
      if (c.kind !== 'd') return this.off();
      d = c;
    }
    const existing = d.children!.get(name);
    if (m.type === '5') {
      if (existing && existing.kind !== 'd') return this.off();
      if (existing) existing.mode = m.mode;
      else d.children!.set(name, dirNode(m.mode));
      return null;
    }
    if (existing) return this.off();
    if (m.type === '0' || m.type === '7') {
      const f: Node = { kind: 'f', mode: m.mode, size: m.size, digest: '', target: '', children: null };
      d.children!.set(name, f);
      return f;
    }
    if (m.type === '2') {
      d.children!.set(name, { kind: 'l', mode: 0o777, size: 0, digest: '', target: m.linkname, children: null });
      return null;
    }
    return this.off();
  }

  private off(): null {
    this.modelOk = false;
    return null;
  }

  /** Over budget while streaming: what arrived so far goes to disk, and the rest follows it there. */
  private async spill(): Promise<void> {
    this.writer = new ContextWriter(this.dir);
    await this.replay();
  }

  /** Feeds the recorded members to the writer (an unfinished last one stays open) and lets them go. */
  private async replay(): Promise<void> {
    const w = this.writer!;
    for (const rec of this.recorded) {
      await w.begin(rec.m);
      for (const piece of rec.data) await w.data(piece);
      if (rec.done) await w.end();
      rec.data = []; // the model's nodes still point at the record
    }
    this.recorded.length = 0;
    this.bytes = 0;
  }
}

/** One entry as cache-hash.ts describes it from lstat: type, permission bits, size and content digest, link target. */
function entry(n: Node): string {
  const perm = (n.mode & 0o7777).toString(8);
  if (n.kind === 'l') return `l ${perm} ${n.target}`;
  if (n.kind === 'f') return `f ${perm} ${n.size} ${n.digest}`;
  const h = createHash('sha256');
  for (const name of [...n.children!.keys()].sort()) h.update(`${name}\0${entry(n.children!.get(name)!)}\n`);
  return `d ${perm} ${h.digest('hex')}`;
}
