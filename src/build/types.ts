// The contract between the Dockerfile front end (parsing, variable expansion,
// .dockerignore, context) and the build executor. Pure data: no I/O here.

/** One instruction as written; flags parsed, arguments not yet expanded. */
export interface Instruction {
  /** 1-based line of the instruction's keyword (for "Dockerfile:12" errors). */
  line: number;
  /** Upper-case keyword: FROM, RUN, COPY, … (ONBUILD keeps its inner one in `onbuild`). */
  keyword: string;
  /** The instruction as the legacy builder prints it in "Step N/M : …": continuations joined, comments dropped. */
  original: string;
  /**
   * Arguments after the flags: exec (JSON) form → the array's items; shell
   * form of RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK CMD → one string; others →
   * whitespace-separated words (quotes kept, the executor expands them).
   * Per keyword (as Docker's parser): ENV/LABEL → alternating key, value
   * (`parseKeyValues` in expand.ts pairs them); ARG → words `k`/`k=v`;
   * HEALTHCHECK → [type ('NONE'|'CMD' as written), ...command (one string in
   * shell form, items in exec form)]; ONBUILD → [the trigger text], the parsed
   * trigger in `onbuild`; USER/WORKDIR/STOPSIGNAL/MAINTAINER → [the whole rest].
   */
  args: string[];
  /** True when the arguments were a JSON array (exec form). */
  json: boolean;
  /** `--name=value` flags in order; repeatable ones (--mount) appear several times. */
  flags: { name: string; value: string }[];
  /** Here-documents attached to this instruction (`RUN <<EOF`, `COPY <<a.txt /dst`). */
  heredocs: Heredoc[];
  /** For ONBUILD: the wrapped instruction. */
  onbuild?: Instruction;
}

export interface Heredoc {
  /** The delimiter word (`EOF`), quotes removed. */
  name: string;
  /** The body, each line ending in \n; with `chomp` leading tabs are already stripped. */
  content: string;
  /** `<<-EOF`: leading tabs stripped. */
  chomp: boolean;
  /** False when the delimiter was quoted (`<<'EOF'`): no variable expansion. */
  expand: boolean;
}

export interface Stage {
  /** 0-based position in the Dockerfile. */
  index: number;
  /** `FROM x AS name`, lower-cased as Docker does; undefined when unnamed. */
  name?: string;
  /** The FROM instruction itself (args[0] = the unexpanded image; `--platform` in flags). */
  from: Instruction;
  /** Everything after FROM up to the next FROM. */
  instructions: Instruction[];
}

export interface Dockerfile {
  /** The escape character from the `# escape=` directive (default backslash). */
  escape: '\\' | '`';
  /** ARG instructions before the first FROM (usable in FROM lines only). */
  metaArgs: Instruction[];
  stages: Stage[];
  /** Parser warnings dockerd prints before the steps (e.g. empty continuation lines). */
  warnings?: string[];
}

/** A Dockerfile that cannot be parsed; `line` is 1-based. Message text matches Docker's. */
export class DockerfileSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'DockerfileSyntaxError';
  }
}

/** Looks a variable up for expansion; undefined = unset (different from ''). */
export type Lookup = (name: string) => string | undefined;

/**
 * The stage marker the engine puts in the `/build` JSON stream of a
 * multi-stage build (src/build/executor-output.ts; docs/build-engine.md,
 * "The wire"): `{"aux":{"berth.stage":StageMarker}}` before ("start") and
 * after ("done") every step. Between a step's start and done markers only
 * that step's lines appear, even while stages build side by side.
 */
export interface StageMarker {
  /** 0-based stage index in the Dockerfile. */
  index: number;
  /** `FROM … AS name` (lower-cased); absent for unnamed stages. */
  name?: string;
  /** "Step N/M" numbers of the step. */
  step: number;
  total: number;
  state: 'start' | 'done';
}
