// One logical Dockerfile line → an Instruction: the keyword, the flags, the
// arguments split the way Docker's parser splits them for that keyword, and
// the checks Docker makes while turning the line into a command. Messages are
// dockerd's (20.10 legacy builder) word for word.
import {
  extractFlags,
  parseJsonArray,
  parseNameVal,
  parseWords,
  isSpace,
  InstructionError,
} from './dockerfile-words.js';
import { checkFlags, checkHealthcheckFlags } from './dockerfile-flags.js';
import type { Instruction } from './types.js';

export const KEYWORDS = new Set([
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
]);

/** RUN/CMD/… : exec form → items, shell form → the whole text as one string. */
const MAYBE_JSON = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'SHELL']);
/** ADD/COPY/VOLUME: exec form → items, shell form → whitespace-separated words. */
const MAYBE_JSON_LIST = new Set(['ADD', 'COPY', 'VOLUME']);
/** The whole rest as one argument. */
const SINGLE_STRING = new Set(['MAINTAINER', 'STOPSIGNAL', 'USER', 'WORKDIR']);

/**
 * Parses one logical line (continuations already joined). `lenient` keeps an
 * unknown keyword (ONBUILD triggers: Docker only complains when they run).
 */
export function parseInstruction(text: string, line: number, escape: string, lenient = false): Instruction {
  const trimmed = text.trim();
  const m = /^(\S+)(?:[\t\v\f\r ]+([\s\S]*))?$/.exec(trimmed);
  const keyword = (m?.[1] ?? '').toUpperCase();
  let rest = '';
  let rawFlags: string[] = [];
  if (m?.[2] !== undefined) {
    const f = extractFlags(m[2]);
    rest = f.rest.trim();
    rawFlags = f.flags;
  }
  const inst: Instruction = {
    line,
    keyword,
    original: trimmed,
    args: [],
    json: false,
    flags: [],
    heredocs: [],
  };
  if (!KEYWORDS.has(keyword)) {
    if (lenient) {
      inst.args = rest ? rest.split(/[\t\v\f\r ]+/) : [];
      return inst;
    }
    throw new InstructionError(`unknown instruction: ${keyword}`);
  }
  splitArguments(inst, rest, escape);
  // Docker never looks at the flags of HEALTHCHECK NONE.
  inst.flags = checkFlags(keyword, rawFlags, keyword === 'HEALTHCHECK' && isNone(inst));
  checkArguments(inst);
  return inst;
}

function isNone(inst: Instruction): boolean {
  return inst.args[0]?.toUpperCase() === 'NONE';
}

function json(inst: Instruction, rest: string): string[] | undefined {
  const items = parseJsonArray(rest);
  if (items) inst.json = true;
  return items;
}

function splitArguments(inst: Instruction, rest: string, escape: string): void {
  const k = inst.keyword;
  if (MAYBE_JSON.has(k)) {
    if (rest === '') return;
    inst.args = json(inst, rest) ?? [rest];
  } else if (MAYBE_JSON_LIST.has(k)) {
    inst.args = json(inst, rest) ?? whitespaceWords(rest);
  } else if (SINGLE_STRING.has(k)) {
    inst.args = rest === '' ? [] : [rest];
  } else if (k === 'FROM' || k === 'EXPOSE') {
    inst.args = whitespaceWords(rest);
  } else if (k === 'ENV' || k === 'LABEL') {
    inst.args = parseNameVal(rest, k, escape);
  } else if (k === 'ARG') {
    inst.args = parseWords(rest, escape);
  } else if (k === 'HEALTHCHECK') {
    splitHealthcheck(inst, rest);
  } else if (k === 'ONBUILD') {
    if (rest === '') return;
    inst.onbuild = parseInstruction(rest, inst.line, escape, true);
    inst.args = [inst.original.replace(/^\s*ONBUILD\s*/i, '')];
  }
}

/** `HEALTHCHECK NONE` → ['NONE']; `HEALTHCHECK CMD x` → ['CMD', 'x'] or ['CMD', ...exec items]. */
function splitHealthcheck(inst: Instruction, rest: string): void {
  let sep = 0;
  while (sep < rest.length && !isSpace(rest[sep]!)) sep++;
  if (sep === 0) return;
  let next = sep;
  while (next < rest.length && isSpace(rest[next]!)) next++;
  const cmd = rest.slice(next);
  inst.args = [rest.slice(0, sep)];
  if (cmd !== '') inst.args.push(...(json(inst, cmd) ?? [cmd]));
}

function whitespaceWords(rest: string): string[] {
  return rest === '' ? [] : rest.split(/[\t\v\f\r ]+/);
}

function checkArguments(inst: Instruction): void {
  const k = inst.keyword;
  const n = inst.args.length;
  const fail = (msg: string): never => {
    throw new InstructionError(msg);
  };
  switch (k) {
    case 'FROM':
      checkFrom(inst.args);
      break;
    case 'ENV':
    case 'LABEL':
      if (n === 0) fail(`${k} requires at least one argument`);
      for (let i = 0; i < n; i += 2) if (inst.args[i] === '') fail(`${k} names can not be blank`);
      break;
    case 'ARG':
      if (n === 0) fail('ARG requires at least one argument');
      for (const a of inst.args) if (a.startsWith('=')) fail('ARG names can not be blank');
      break;
    case 'COPY':
    case 'ADD':
      if (n < 2)
        fail(
          `${k} requires at least two arguments, but only one was provided. Destination could not be determined`,
        );
      break;
    case 'EXPOSE':
    case 'VOLUME':
    case 'SHELL':
    case 'HEALTHCHECK':
    case 'ONBUILD':
      if (n === 0) fail(`${k} requires at least one argument`);
      if (k === 'VOLUME' && inst.args.some((v) => v.length === 0))
        fail('VOLUME specified can not be an empty string');
      if (k === 'SHELL' && !inst.json) fail('SHELL requires the arguments to be in JSON form');
      if (k === 'HEALTHCHECK') checkHealthcheck(inst);
      if (k === 'ONBUILD') checkTrigger(inst.onbuild!);
      break;
    case 'USER':
    case 'WORKDIR':
    case 'STOPSIGNAL':
    case 'MAINTAINER':
      if (n !== 1) fail(`${k} requires exactly one argument`);
      break;
  }
}

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

function checkFrom(args: string[]): void {
  if (args.length === 3 && args[1]!.toLowerCase() === 'as') {
    if (!STAGE_NAME.test(args[2]!.toLowerCase()))
      throw new InstructionError(
        `invalid name for build stage: "${args[2]}", name can't start with a number or contain symbols`,
      );
  } else if (args.length !== 1) throw new InstructionError('FROM requires either one or three arguments');
}

function checkHealthcheck(inst: Instruction): void {
  const type = inst.args[0]!.toUpperCase();
  if (type === 'NONE') {
    if (inst.args.length !== 1) throw new InstructionError('HEALTHCHECK NONE takes no arguments');
    return;
  }
  checkHealthcheckFlags(inst.flags);
  if (type !== 'CMD') throw new InstructionError(`Unknown type "${type}" in HEALTHCHECK (try CMD)`);
  if (inst.args.length === 1) throw new InstructionError('Missing command after HEALTHCHECK CMD');
}

function checkTrigger(trigger: Instruction): void {
  if (trigger.keyword === 'ONBUILD')
    throw new InstructionError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (trigger.keyword === 'FROM' || trigger.keyword === 'MAINTAINER')
    throw new InstructionError(`${trigger.keyword} isn't allowed as an ONBUILD trigger`);
}
