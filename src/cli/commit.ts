// Container filesystem commands: diff, export, commit.
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { CliError, type CliContext } from './context.js';
import { flag, registerSpecs, type Spec } from './command-spec.js';

const KIND = ['C', 'A', 'D'];

const specs: Spec[] = [
  {
    paths: [['diff'], ['container', 'diff']],
    usage: 'CONTAINER',
    description: "Inspect changes to files or directories on a container's filesystem",
    flags: [],
    args: { exact: 1 },
    run: async (f, ctx) => {
      const changes = await ctx.client.get<{ Path: string; Kind: number }[] | null>(
        `/containers/${encodeURIComponent(f.args[0])}/changes`,
      );
      ctx.out.write((changes ?? []).map((c) => `${KIND[c.Kind]} ${c.Path}\n`).join(''));
    },
  },
  {
    paths: [['export'], ['container', 'export']],
    usage: '[OPTIONS] CONTAINER',
    description: "Export a container's filesystem as a tar archive",
    flags: [flag.string('output', 'o', 'Write to a file, instead of STDOUT')],
    args: { exact: 1 },
    run: async (f, ctx) => {
      const out = f.string('output');
      if (!out && ctx.stdoutIsTTY)
        throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
      const res = await ctx.client.call('GET', `/containers/${encodeURIComponent(f.args[0])}/export`);
      await pipeline(res, out ? createWriteStream(out) : (ctx.out as NodeJS.WritableStream));
    },
  },
  {
    paths: [['commit'], ['container', 'commit']],
    usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
    description: "Create a new image from a container's changes",
    flags: [
      flag.string('author', 'a', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")'),
      flag.list('change', 'c', 'Apply Dockerfile instruction to the created image'),
      flag.string('message', 'm', 'Commit message'),
      flag.bool('pause', 'p', 'Pause container during commit', true),
    ],
    args: { min: 1, max: 2 },
    run: async (f, ctx) => {
      const [container, ref] = f.args;
      let repo = ref ?? '';
      let tag = '';
      const slash = repo.lastIndexOf('/');
      const colon = repo.lastIndexOf(':');
      if (colon > slash) [repo, tag] = [repo.slice(0, colon), repo.slice(colon + 1)];
      const r = await ctx.client.post<{ Id: string }>(
        '/commit',
        {},
        {
          container,
          repo: repo || undefined,
          tag: tag || undefined,
          comment: f.string('message') || undefined,
          author: f.string('author') || undefined,
          pause: f.bool('pause') ? '1' : '0',
          changes: f.list('change'),
        },
      );
      ctx.print(r.Id);
    },
  },
];

export function registerCommitCommands(program: Command, ctx: CliContext): void {
  registerSpecs(program, ctx, specs);
}
