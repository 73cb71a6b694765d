// One stage's instructions with the legacy builder's semantics: metadata
// instructions change the config and commit an image without a layer; RUN
// runs a container; COPY/ADD (executor-copy.ts) write a layer. Every step
// first asks the cache; a hit prints " ---> Using cache".
import path from 'node:path';
import { StepError } from './copy.js';
import { mkdirOwned, resolveInRoot } from './copy-fs.js';
import { expandWord, lookupFromEnv } from './expand.js';
import { cacheKey } from './cache.js';
import { parseInstruction } from './dockerfile-instruction.js';
import { commitStep, adoptImage, PROXY_ARGS, type StageState } from './executor-state.js';
import type { Executor } from './executor.js';
import { copyStep } from './executor-copy.js';
import { runStep } from './executor-runstep.js';
import {
  envKey,
  goList,
  goQuoteList,
  healthcheckHistory,
  nopCmd,
  nopCmdString,
  parseGoDuration,
  setEnv,
  shellOf,
  type HealthConfig,
} from './image-config.js';
import type { Instruction } from './types.js';

const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

export class Steps {
  constructor(
    readonly x: Executor,
    readonly st: StageState,
    readonly signal: AbortSignal,
  ) {}

  /** Variable lookup for expansion: ENV first, then ARGs in scope (Docker's order). */
  lookup(): (name: string) => string | undefined {
    const env = lookupFromEnv(this.st.config.Env ?? []);
    return (n) => env(n) ?? this.st.args.get(n);
  }

  expand(word: string): string {
    return expandWord(word, this.lookup(), this.x.req.dockerfile.escape);
  }

  /** Build args RUN sees as env: declared ARGs with a value, and proxy args given by the client; ENV wins. */
  runArgs(): { env: string[]; history: string[] } {
    const given = this.x.req.buildArgs;
    const envKeys = new Set((this.st.config.Env ?? []).map(envKey));
    const all = new Map<string, string>();
    for (const [k, v] of this.st.args) if (v !== undefined) all.set(k, v);
    for (const k of PROXY_ARGS)
      if (!all.has(k) && given[k] !== undefined && given[k] !== null) all.set(k, given[k]!);
    const env: string[] = [];
    const history: string[] = [];
    for (const [k, v] of all) {
      if (envKeys.has(k)) continue;
      env.push(`${k}=${v}`);
      if (!PROXY_ARGS.has(k) || this.st.args.has(k)) history.push(`${k}=${v}`);
    }
    return { env: env.sort(), history: history.sort() };
  }

  /** The stage's ONBUILD triggers inherited from its base image run first. */
  async triggers(): Promise<void> {
    const triggers = this.st.config.OnBuild ?? [];
    this.st.config.OnBuild = null;
    if (!triggers.length) return;
    this.st.out.text(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}`);
    this.st.out.text('\n');
    for (const t of triggers) {
      const ins = parseInstruction(t, this.st.plan.stage.from.line, this.x.req.dockerfile.escape);
      if (['ONBUILD', 'FROM', 'MAINTAINER'].includes(ins.keyword))
        throw new StepError(`${ins.keyword} isn't allowed as an ONBUILD trigger`);
      await this.dispatch(ins);
    }
  }

  /** Uses a cached image for this step when there is one. */
  tryCache(key: unknown, createdBy?: string): boolean {
    const parent = this.st.imageId;
    const k = cacheKey(key);
    const images = this.x.deps.images;
    let hit = this.x.req.noCache
      ? null
      : this.x.deps.cache.lookup(parent, k, (id) => !!images.records.get(id));
    if (!hit && createdBy && this.x.cacheFromImages.size && parent) {
      for (const child of images.records.children(parent)) {
        if (!this.x.cacheFromImages.has(child)) continue;
        const h = images.get(child).config.history ?? [];
        if (h[h.length - 1]?.created_by === createdBy) hit = child;
      }
    }
    if (!hit) {
      this.x.contextNeededSoon();
      return false;
    }
    adoptImage(images, this.st, hit);
    this.st.out.text(' ---> Using cache\n');
    this.st.out.text(` ---> ${short(hit)}\n`);
    return true;
  }

  /** Records that the step `key` on image `parent` made the stage's current image. */
  remember(parent: string, key: unknown): void {
    this.x.deps.cache.record(parent, cacheKey(key), this.st.imageId);
  }

  /**
   * A metadata step: the config change is applied, then committed as an
   * image without a layer, through a created (never started) container as
   * the legacy builder does ("Running in …").
   */
  async meta(comment: string, apply: () => void): Promise<void> {
    const cmd = nopCmd(this.st.config, comment);
    const key = { meta: cmd };
    const before = structuredClone(this.st.config);
    apply();
    const applied = this.st.config;
    this.st.config = before;
    if (this.tryCache(key, cmd.join(' '))) return;
    this.st.config = applied;
    await this.commitWithContainer(cmd, key);
  }

  /** Creates a container for the record (and the "Running in" line), commits, removes it. */
  async commitWithContainer(
    cmd: string[],
    key: unknown,
    work?: (id: string) => Promise<boolean>,
  ): Promise<void> {
    const engine = this.x.engine;
    const parent = this.st.imageId;
    let id: string | null = null;
    if (this.st.imageId) {
      id = await engine.createContainer({
        parentImage: this.st.imageId,
        cmd,
        env: this.st.config.Env ?? [],
        workdir: '',
        user: '',
        networkMode: 'none',
        binds: [],
        tmpfs: {},
        extraHosts: [],
        resources: {},
      });
      this.st.out.text(` ---> Running in ${short(id)}\n`);
    }
    try {
      let layer = null;
      if (work && id) {
        if (await work(id)) layer = await engine.commitUpper(id, this.st.topLayer);
      }
      commitStep(this.x.deps.images, this.st, { containerCmd: cmd, containerId: id ?? undefined, layer });
      this.remember(parent, key);
    } finally {
      // --rm=false keeps the container, as dockerd does.
      if (id && this.x.req.rm) {
        await engine.removeContainer(id);
        this.st.out.text(`Removing intermediate container ${short(id)}\n`);
      }
    }
    this.st.out.text(` ---> ${short(this.st.imageId)}\n`);
  }

  async dispatch(ins: Instruction): Promise<void> {
    const c = () => this.st.config;
    switch (ins.keyword) {
      case 'ARG':
        return this.arg(ins);
      case 'ENV': {
        const pairs = this.pairs(ins);
        return this.meta(`ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`, () => {
          for (const [k, v] of pairs) c().Env = setEnv(c().Env, k, v);
        });
      }
      case 'LABEL': {
        const pairs = this.pairs(ins);
        return this.meta(`LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`, () => {
          c().Labels = { ...(c().Labels ?? {}) };
          for (const [k, v] of pairs) c().Labels![k] = v;
        });
      }
      case 'MAINTAINER': {
        const name = this.expand(ins.args[0] ?? '');
        this.st.author = name;
        return this.meta(`MAINTAINER ${name}`, () => undefined);
      }
      case 'EXPOSE': {
        const words = ins.args.map((w) => this.expand(w));
        return this.meta(`EXPOSE ${words.join(' ')}`, () => {
          c().ExposedPorts = { ...(c().ExposedPorts ?? {}) };
          for (const p of expandPorts(words)) c().ExposedPorts![p] = {};
        });
      }
      case 'VOLUME': {
        const vols = ins.args.map((w) => this.expand(w));
        if (vols.some((v) => v.trim() === ''))
          throw new StepError('VOLUME specified can not be an empty string');
        return this.meta(`VOLUME ${goList(vols)}`, () => {
          c().Volumes = { ...(c().Volumes ?? {}) };
          for (const v of vols) c().Volumes![v] = {};
        });
      }
      case 'USER': {
        const u = this.expand(ins.args[0] ?? '');
        return this.meta(`USER ${u}`, () => (c().User = u));
      }
      case 'STOPSIGNAL': {
        const s = this.expand(ins.args[0] ?? '');
        return this.meta(`STOPSIGNAL ${s}`, () => (c().StopSignal = s));
      }
      case 'SHELL':
        if (!ins.json) throw new StepError('SHELL requires the arguments to be in JSON form');
        return this.meta(`SHELL ${goList(ins.args)}`, () => (c().Shell = [...ins.args]));
      case 'CMD': {
        const cmd = ins.json ? [...ins.args] : [...shellOf(c()), ins.args[0] ?? ''];
        this.st.cmdSet = true;
        return this.meta(`CMD ${goQuoteList(cmd)}`, () => (c().Cmd = cmd));
      }
      case 'ENTRYPOINT': {
        const ep = ins.json ? [...ins.args] : [...shellOf(c()), ins.args[0] ?? ''];
        const keepCmd = this.st.cmdSet;
        return this.meta(`ENTRYPOINT ${goQuoteList(ep)}`, () => {
          c().Entrypoint = ep;
          // ENTRYPOINT drops the CMD inherited from the base image, not one set in this stage.
          if (!keepCmd) c().Cmd = null;
        });
      }
      case 'HEALTHCHECK': {
        const hc = this.healthcheck(ins);
        return this.meta(`HEALTHCHECK ${healthcheckHistory(hc)}`, () => (c().Healthcheck = hc));
      }
      case 'ONBUILD': {
        const expr = (ins.args[0] ?? '').trim();
        const t = ins.onbuild;
        if (t && ['ONBUILD', 'FROM', 'MAINTAINER'].includes(t.keyword))
          throw new StepError(`${t.keyword} isn't allowed as an ONBUILD trigger`);
        return this.meta(`ONBUILD ${expr}`, () => (c().OnBuild = [...(c().OnBuild ?? []), expr]));
      }
      case 'WORKDIR':
        return this.workdir(ins);
      case 'RUN':
        return runStep(this, ins);
      case 'COPY':
      case 'ADD':
        return copyStep(this, ins);
      default:
        throw new StepError(`unknown instruction: ${ins.keyword}`);
    }
  }

  /** ENV/LABEL arguments (alternating key, value) expanded. */
  private pairs(ins: Instruction): [string, string][] {
    const out: [string, string][] = [];
    for (let i = 0; i + 1 < ins.args.length; i += 2) {
      const k = this.expand(ins.args[i]);
      if (!k) throw new StepError(`${ins.keyword} names can not be blank`);
      out.push([k, this.expand(ins.args[i + 1])]);
    }
    return out;
  }

  private async arg(ins: Instruction): Promise<void> {
    const parts: string[] = [];
    const decl: [string, string | undefined][] = [];
    const meta = this.x.metaArgValue;
    for (const w of ins.args) {
      const eq = w.indexOf('=');
      const name = eq === -1 ? w : w.slice(0, eq);
      const dflt = eq === -1 ? undefined : this.expand(w.slice(eq + 1));
      parts.push(dflt === undefined ? name : `${name}=${dflt}`);
      const given = this.x.req.buildArgs[name];
      // An ARG without a default in a stage takes the value of the meta ARG of that name.
      const value = given !== undefined && given !== null ? given : (dflt ?? meta(name));
      decl.push([name, value]);
      this.x.usedArgs.add(name);
    }
    for (const [k, v] of decl) this.st.args.set(k, v);
    await this.meta(`ARG ${parts.join(' ')}`, () => undefined);
  }

  private healthcheck(ins: Instruction): HealthConfig {
    if ((ins.args[0] ?? '').toUpperCase() === 'NONE') return { Test: ['NONE'] };
    const hc: HealthConfig = {
      Test: ins.json ? ['CMD', ...ins.args.slice(1)] : ['CMD-SHELL', ins.args.slice(1).join(' ')],
    };
    for (const f of ins.flags) {
      if (f.value === '') continue;
      if (f.name === 'retries') {
        hc.Retries = Number(f.value);
        continue;
      }
      const ns = parseGoDuration(f.value);
      if (ns === null) throw new StepError(`time: invalid duration "${f.value}"`);
      if (f.name === 'interval') hc.Interval = ns;
      else if (f.name === 'timeout') hc.Timeout = ns;
      else if (f.name === 'start-period') hc.StartPeriod = ns;
    }
    return hc;
  }

  /** WORKDIR: relative to the previous one; the directory is created in a layer (none when it exists). */
  private async workdir(ins: Instruction): Promise<void> {
    const w = this.expand(ins.args[0] ?? '');
    const prev = this.st.config.WorkingDir || '/';
    const dir = path.posix.normalize(path.posix.isAbsolute(w) ? w : path.posix.join(prev, w));
    this.st.config.WorkingDir = dir;
    const cmd = nopCmdString(this.st.config, `WORKDIR ${dir}`);
    const key = { workdir: cmd };
    if (this.tryCache(key, cmd.join(' '))) return;
    await this.commitWithContainer(cmd, key, async (id) => {
      const c = this.x.deps.containers.find(id);
      await this.x.deps.containers.lifecycle.mountRootfs(c);
      try {
        const merged = this.x.deps.containers.paths(id).merged;
        await mkdirOwned(await resolveInRoot(merged, dir, true), {});
      } finally {
        await this.x.deps.containers.lifecycle.unmountRootfs(c);
      }
      return true;
    });
  }
}

/** EXPOSE words → `port/proto` keys; ranges expand like nat.ParsePortSpecs. */
export function expandPorts(words: string[]): string[] {
  const out: string[] = [];
  for (const w of words) {
    const [ports, proto = 'tcp'] = w.split('/');
    const m = /^(\d+)(?:-(\d+))?$/.exec(ports.replace(/^.*:/, ''));
    if (!m) throw new StepError(`Invalid containerPort: ${ports}`);
    const lo = Number(m[1]);
    const hi = m[2] ? Number(m[2]) : lo;
    if (hi < lo) throw new StepError(`Invalid range specified for the Port: ${ports}`);
    for (let p = lo; p <= hi; p++) out.push(`${p}/${proto.toLowerCase()}`);
  }
  return out;
}
