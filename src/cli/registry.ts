// Registry commands: pull, push, login, logout, search. Credentials come
// from the Docker-compatible config.json (registry-credentials.ts) and go to
// the daemon in X-Registry-Auth, as the docker CLI sends them.
import type { AuthConfig } from '../distribution/auth.js';
import { serverDomain } from '../distribution/endpoints.js';
import { ApiError } from '../client/client.js';
import { formatReference, parseReference, repoName, withDefaultTag } from '../image/reference.js';
import { CliError, type CliContext } from './context.js';
import { flag, registerSpecs, type Spec } from './command-spec.js';
import type { Command } from 'commander';
import { displayJsonStream, JsonMessageError } from './format/progress.js';
import { formatList } from './format/table.js';
import { GO_TYPE } from './format/template.js';
import { CredentialStore, registryAuthHeader } from './registry-credentials.js';

function parseRef(name: string): ReturnType<typeof parseReference> {
  try {
    return parseReference(name);
  } catch (e) {
    throw new CliError((e as Error).message, 1);
  }
}

const authHeader = registryAuthHeader;

async function showProgress(ctx: CliContext, res: NodeJS.ReadableStream, quiet: boolean): Promise<void> {
  const sink = quiet ? ({ write: () => true } as unknown as NodeJS.WritableStream) : ctx.out;
  try {
    await displayJsonStream(res as never, sink, {
      isTerminal: !quiet && ctx.stdoutIsTTY,
      width: (ctx.out as NodeJS.WriteStream).columns,
    });
  } catch (e) {
    if (e instanceof JsonMessageError) throw new CliError(e.message, 1);
    throw e;
  }
}

async function pull(
  ctx: CliContext,
  name: string,
  o: { allTags: boolean; platform: string; quiet: boolean },
): Promise<void> {
  let ref = parseRef(name);
  if (o.allTags && (ref.tag || ref.digest)) throw new CliError("tag can't be used with --all-tags/-a", 1);
  if (!o.allTags) ref = withDefaultTag(ref);
  const res = await ctx.client.call('POST', '/images/create', {
    query: { fromImage: repoName(ref), tag: ref.digest ?? ref.tag ?? '', platform: o.platform || undefined },
    headers: authHeader(ref.domain),
  });
  await showProgress(ctx, res, o.quiet);
  ctx.print(o.allTags ? repoName(ref) : formatReference(ref));
}

async function push(ctx: CliContext, name: string, o: { allTags: boolean; quiet: boolean }): Promise<void> {
  let ref = parseRef(name);
  if (o.allTags && ref.tag) throw new CliError("tag can't be used with --all-tags/-a", 1);
  if (!o.allTags) ref = withDefaultTag(ref);
  const res = await ctx.client.call('POST', `/images/${repoName(ref)}/push`, {
    query: { tag: ref.tag ?? '' },
    headers: authHeader(ref.domain),
  });
  await showProgress(ctx, res, o.quiet);
  if (o.quiet) ctx.print(formatReference(ref));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function login(
  ctx: CliContext,
  server: string | undefined,
  o: { username: string; password: string; passwordStdin: boolean },
): Promise<void> {
  const domain = serverDomain(server ?? '');
  const store = new CredentialStore();
  let { username, password } = o;
  if (o.passwordStdin) {
    if (password) throw new CliError('--password and --password-stdin are mutually exclusive', 1);
    if (!username) throw new CliError('Must provide --username with --password-stdin', 1);
    password = await readStdin();
  } else if (password)
    ctx.err.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  if (!username || !password) {
    const saved = store.get(domain);
    if (saved && (!username || saved.username === username) && !password) {
      username = saved.username ?? '';
      password = saved.password ?? '';
    }
  }
  if (!username || !password) {
    if (!process.stdin.isTTY)
      throw new CliError('Error: Cannot perform an interactive login from a non TTY device', 1);
    throw new CliError(
      'Error: interactive login is not supported by berth yet; use --username and --password-stdin',
      1,
    );
  }
  const auth: AuthConfig = { username, password, serveraddress: server ?? domain };
  const answer = await ctx.client.post<{ Status: string; IdentityToken?: string }>('/auth', auth);
  if (answer.IdentityToken) {
    auth.identitytoken = answer.IdentityToken;
    auth.password = '';
  }
  store.store(domain, auth);
  if (!store.usesHelper(domain))
    ctx.err.write(
      `WARNING! Your credentials are stored unencrypted in '${store.file}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`,
    );
  ctx.print(answer.Status || 'Login Succeeded');
}

function logout(ctx: CliContext, server: string | undefined): void {
  const domain = serverDomain(server ?? '');
  const shown = server
    ? server.replace(/^https?:\/\//, '').replace(/\/.*$/, '')
    : 'https://index.docker.io/v1/';
  const store = new CredentialStore();
  if (!store.erase(domain)) {
    ctx.print(`Not logged in to ${shown}`);
    return;
  }
  ctx.print(`Removing login credentials for ${shown}`);
}

interface SearchItem {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

class SearchRow {
  readonly [GO_TYPE] = '*formatter.searchContext';
  constructor(
    private readonly r: SearchItem,
    private readonly trunc: boolean,
  ) {}
  get Name(): string {
    return this.r.name;
  }
  get Description(): string {
    const d = this.r.description.replace(/\n/g, ' ').replace(/\r/g, ' ');
    const runes = [...d];
    return this.trunc && runes.length > 45 ? runes.slice(0, 44).join('') + '…' : d;
  }
  get StarCount(): string {
    return String(this.r.star_count);
  }
  get IsOfficial(): string {
    return this.r.is_official ? '[OK]' : '';
  }
  get IsAutomated(): string {
    return this.r.is_automated ? '[OK]' : '';
  }
}

async function searchCmd(
  ctx: CliContext,
  term: string,
  o: { limit: string; filters: string[]; format: string; noTrunc: boolean },
): Promise<void> {
  const filters: Record<string, string[]> = {};
  for (const f of o.filters) {
    const i = f.indexOf('=');
    (filters[f.slice(0, i)] ??= []).push(f.slice(i + 1));
  }
  const domain = term.includes('/') ? term.split('/')[0] : 'docker.io';
  let results: SearchItem[];
  try {
    results = await ctx.client.json<SearchItem[]>('GET', '/images/search', {
      query: {
        term,
        limit: o.limit || undefined,
        filters: o.filters.length ? JSON.stringify(filters) : undefined,
      },
      headers: /[.:]/.test(domain) ? authHeader(domain) : {},
    });
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw e;
  }
  const format = o.format || 'table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}';
  ctx.out.write(
    formatList(
      results.map((r) => new SearchRow(r, !o.noTrunc)),
      {
        format,
        headers: {
          Name: 'NAME',
          Description: 'DESCRIPTION',
          StarCount: 'STARS',
          IsOfficial: 'OFFICIAL',
          IsAutomated: 'AUTOMATED',
        },
      },
    ),
  );
}

const specs: Spec[] = [
  {
    paths: [['image', 'pull'], ['pull']],
    usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
    description: 'Download an image from a registry',
    flags: [
      flag.bool('all-tags', 'a', 'Download all tagged images in the repository'),
      flag.bool('disable-content-trust', undefined, 'Skip image verification', true),
      flag.string('platform', undefined, 'Set platform if server is multi-platform capable'),
      flag.bool('quiet', 'q', 'Suppress verbose output'),
    ],
    args: { exact: 1 },
    run: (f, ctx) =>
      pull(ctx, f.args[0], {
        allTags: f.bool('all-tags'),
        platform: f.string('platform'),
        quiet: f.bool('quiet'),
      }),
  },
  {
    paths: [['image', 'push'], ['push']],
    usage: '[OPTIONS] NAME[:TAG]',
    description: 'Upload an image to a registry',
    flags: [
      flag.bool('all-tags', 'a', 'Push all tags of an image to the repository'),
      flag.bool('disable-content-trust', undefined, 'Skip image signing', true),
      flag.string(
        'platform',
        undefined,
        'Push a platform-specific manifest as a single-platform image to the registry',
      ),
      flag.bool('quiet', 'q', 'Suppress verbose output'),
    ],
    args: { exact: 1 },
    run: (f, ctx) => push(ctx, f.args[0], { allTags: f.bool('all-tags'), quiet: f.bool('quiet') }),
  },
  {
    paths: [['login']],
    usage: '[OPTIONS] [SERVER]',
    description: 'Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.',
    flags: [
      flag.string('password', 'p', 'Password or Personal Access Token (PAT)'),
      flag.bool('password-stdin', undefined, 'Take the Password or Personal Access Token (PAT) from stdin'),
      flag.string('username', 'u', 'Username'),
    ],
    args: { max: 1 },
    run: (f, ctx) =>
      login(ctx, f.args[0], {
        username: f.string('username'),
        password: f.string('password'),
        passwordStdin: f.bool('password-stdin'),
      }),
  },
  {
    paths: [['logout']],
    usage: '[SERVER]',
    description: 'Log out from a registry.\nIf no server is specified, the default is defined by the daemon.',
    flags: [],
    args: { max: 1 },
    run: async (f, ctx) => logout(ctx, f.args[0]),
  },
  {
    paths: [['search']],
    usage: '[OPTIONS] TERM',
    description: 'Search Docker Hub for images',
    flags: [
      flag.filter(),
      flag.string('format', undefined, 'Pretty-print search using a Go template'),
      flag.string('limit', undefined, 'Max number of search results', 'int'),
      flag.bool('no-trunc', undefined, "Don't truncate output"),
    ],
    args: { exact: 1 },
    run: (f, ctx) =>
      searchCmd(ctx, f.args[0], {
        limit: f.string('limit'),
        filters: f.list('filter'),
        format: f.string('format'),
        noTrunc: f.bool('no-trunc'),
      }),
  },
];

export function registerRegistryCommands(program: Command, ctx: CliContext): void {
  registerSpecs(program, ctx, specs);
}
