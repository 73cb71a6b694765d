// images, pull, push, build: the project's images through the Engine API.
import type { Command } from 'commander';
import { ApiError, eachJsonLine } from '../../client/client.js';
import { run, type ComposeContext } from '../cli.js';
import { listContainers, nameOf, serviceOf } from '../converge-containers.js';
import { selectServices } from '../converge.js';
import { Progress } from '../progress.js';
import { buildImage, pullImage } from '../converge-images.js';
import { formatList } from '../../cli/format/table.js';
import { humanSize } from '../../cli/format/units.js';
import { registryAuthHeader } from '../../cli/registry-credentials.js';
import { parseReference } from '../../image/reference.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function splitTag(ref: string): { repo: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash
    ? { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) }
    : { repo: ref, tag: 'latest' };
}

export function registerImageCommands(compose: Command, cc: ComposeContext): void {
  compose
    .command('images')
    .description('List images used by the created containers')
    .argument('[service...]')
    .option('-q, --quiet', 'Only display IDs')
    .option('--format <format>', 'Format the output. Values: [table | json]', 'table')
    .action(
      run(async (services: string[], f: { quiet?: boolean; format: string }) => {
        const project = await cc.project({ optional: true });
        if (services.length) selectServices(project, services);
        const list = (await listContainers(cc.client, project.name)).filter(
          (c) => !services.length || services.includes(serviceOf(c)),
        );
        const rows = await Promise.all(
          list.map(async (c) => {
            const img = await cc.client
              .get(`/images/${encodeURIComponent(c.ImageID ?? c.Image)}/json`)
              .catch(() => undefined);
            const { repo, tag } = splitTag(
              c.Image.startsWith('sha256:') ? (img?.RepoTags?.[0] ?? '<none>:<none>') : c.Image,
            );
            return {
              Container: nameOf(c),
              Repository: repo,
              Tag: tag,
              ID: (img?.Id ?? c.ImageID ?? '') as string,
              Size: (img?.Size ?? 0) as number,
            };
          }),
        );
        rows.sort((a, b) => a.Container.localeCompare(b.Container));
        if (f.quiet)
          return void process.stdout.write([...new Set(rows.map((r) => r.ID))].map((i) => i + '\n').join(''));
        if (f.format === 'json') {
          const out = rows.map((r) => ({
            ID: r.ID,
            ContainerName: r.Container,
            Repository: r.Repository,
            Tag: r.Tag,
            Size: r.Size,
          }));
          return void process.stdout.write(JSON.stringify(out) + '\n');
        }
        const table = rows.map((r) => ({
          Container: r.Container,
          Repository: r.Repository,
          Tag: r.Tag,
          ID: r.ID.replace(/^sha256:/, '').slice(0, 12),
          Size: humanSize(r.Size),
        }));
        process.stdout.write(
          formatList(table, {
            format: 'table {{.Container}}\t{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}',
            headers: {
              Container: 'CONTAINER',
              Repository: 'REPOSITORY',
              Tag: 'TAG',
              ID: 'IMAGE ID',
              Size: 'SIZE',
            },
          }),
        );
      }),
    );

  compose
    .command('pull')
    .description('Pull service images')
    .argument('[service...]')
    .option('-q, --quiet', 'Pull without printing progress information')
    .option('--ignore-pull-failures', 'Pull what it can and ignores images with pull failures')
    .option('--ignore-buildable', 'Ignore images that can be built')
    .option('--include-deps', 'Also pull services declared as dependencies')
    .action(
      run(
        async (
          services: string[],
          f: {
            quiet?: boolean;
            ignorePullFailures?: boolean;
            ignoreBuildable?: boolean;
            includeDeps?: boolean;
          },
        ) => {
          const project = await cc.project({ services });
          const names = services.length
            ? selectServices(project, services, !f.includeDeps)
            : Object.keys(project.services);
          const progress = cc.progress('Pulling');
          const failures: string[] = [];
          try {
            await Promise.all(
              names.map(async (n) => {
                const s = project.services[n];
                if (!s.image || (s.build && f.ignoreBuildable) || s.pull_policy === 'build') return;
                try {
                  await pullImage(
                    cc.client,
                    s,
                    s.image,
                    f.quiet ? new Progress(process.stderr, 'quiet') : progress,
                  );
                } catch (e) {
                  // A service that can be built is not a pull failure (Compose warns and goes on).
                  if (s.build) return;
                  if (!f.ignorePullFailures) throw e;
                  failures.push((e as Error).message);
                }
              }),
            );
          } finally {
            progress.stop();
          }
          for (const msg of failures) process.stderr.write(`${msg}\n`);
        },
      ),
    );

  compose
    .command('push')
    .description('Push service images')
    .argument('[service...]')
    .option('--ignore-push-failures', 'Push what it can and ignores images with push failures')
    .option('-q, --quiet', 'Push without printing progress information')
    .action(
      run(async (services: string[], f: { ignorePushFailures?: boolean }) => {
        const project = await cc.project({ services });
        const names = services.length
          ? selectServices(project, services, true)
          : Object.keys(project.services);
        const progress = cc.progress('Pushing');
        try {
          for (const n of names) {
            const s = project.services[n];
            if (!s.image) continue;
            const { repo, tag } = splitTag(s.image);
            const id = `Service ${n}`;
            progress.event(id, 'Pushing');
            try {
              const res = await cc.client.call('POST', `/images/${encodeURIComponent(repo)}/push`, {
                query: { tag },
                headers: registryAuthHeader(parseReference(s.image).domain),
              });
              let error: string | undefined;
              await eachJsonLine(res, (m: { error?: string }) => {
                if (m.error) error = m.error;
              });
              if (error) throw new ApiError(500, error);
              progress.event(id, 'Pushed');
            } catch (e) {
              progress.event(id, 'Error', { error: true });
              if (!f.ignorePushFailures) throw e;
            }
          }
        } finally {
          progress.stop();
        }
      }),
    );

  compose
    .command('build')
    .description('Build or rebuild services')
    .argument('[service...]')
    .option('--no-cache', 'Do not use cache when building the image')
    .option('--pull', 'Always attempt to pull a newer version of the image')
    .option('--build-arg <arg>', 'Set build-time variables for services', collect, [])
    .option('-q, --quiet', "Don't print anything to STDOUT")
    .action(
      run(
        async (
          services: string[],
          f: { cache?: boolean; pull?: boolean; buildArg: string[]; quiet?: boolean },
        ) => {
          const project = await cc.project({ services });
          const names = services.length
            ? selectServices(project, services, true)
            : Object.keys(project.services);
          const args: Record<string, string> = {};
          for (const a of f.buildArg) {
            const i = a.indexOf('=');
            if (i < 0) {
              if (process.env[a] !== undefined) args[a] = process.env[a]!;
            } else args[a.slice(0, i)] = a.slice(i + 1);
          }
          const progress = cc.progress('Building');
          try {
            for (const n of names) {
              const s = project.services[n];
              if (!s.build) continue;
              await buildImage(
                cc.client,
                project,
                s,
                { noCache: f.cache === false, pull: f.pull, args, quiet: f.quiet, out: process.stdout },
                progress,
              );
            }
          } finally {
            progress.stop();
          }
        },
      ),
    );
}
