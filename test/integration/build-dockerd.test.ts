// Differential: the same Dockerfile built by a private dockerd (legacy
// builder) and by berthd through the same docker CLI; the image Config, the
// history (created_by, which steps made layers), the layer count and the
// build output (IDs masked) must be the same.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { startDockerd, type PrivateDockerd } from '../support/dockerd.js';
import { ensureBusybox } from '../support/images.js';

const DOCKERFILE = [
  'FROM busybox',
  'ARG A=1',
  'ARG UNSET',
  'ENV E=v F="two words" G=${A}x',
  'LABEL l=1 "k k"=v',
  'RUN echo hi $A',
  // stderr on its own step: within one step dockerd itself interleaves the two streams either way.
  'RUN echo err >&2',
  'RUN mkdir -p /made && echo x > /made/f',
  'COPY a.txt /a.txt',
  'COPY dir /d/',
  'ADD a.txt dir /multi/',
  'WORKDIR rel',
  'WORKDIR /rel',
  'USER 1000',
  'EXPOSE 80/tcp 81 90-91/udp',
  'VOLUME ["/v", "/w"]',
  'HEALTHCHECK --interval=5s --retries=3 CMD true',
  'STOPSIGNAL SIGTERM',
  'ONBUILD RUN echo onb',
  'SHELL ["/bin/sh","-c"]',
  'CMD echo shell-form',
  'ENTRYPOINT ["sh"]',
  '',
].join('\n');

const DOCKERFILE2 = [
  'ARG BASE=busybox',
  'FROM ${BASE} AS build',
  'ARG HTTP_PROXY',
  'ARG V',
  'RUN ["sh", "-c", "echo exec-form > /e"]',
  'SHELL ["/bin/sh", "-ec"]',
  'RUN echo shell $V',
  'USER nobody',
  'FROM busybox AS unused',
  'RUN exit 1',
  'FROM busybox',
  'ENTRYPOINT ["echo"]',
  'COPY --from=build /e /e',
  'COPY --chown=daemon a.txt /f',
  'ENV PATH=/custom:$PATH',
  'HEALTHCHECK NONE',
  'MAINTAINER someone',
  'EXPOSE 8080',
  '',
].join('\n');

const mask = (s: string): string =>
  s
    .replace(/[0-9a-f]{64}/g, 'H')
    .replace(/[0-9a-f]{12}/g, 'I')
    .replace(/^(DEPRECATED|\s+BuildKit|\s+environment-variable|Sending build context).*\n/gm, '');

describe(
  'berthd builds the image dockerd builds',
  () => {
    let d: TestDaemon;
    let dk: PrivateDockerd;
    let ctx: string;
    before(async () => {
      ctx = mkdtempSync(path.join(os.tmpdir(), 'berth-build-diff-'));
      writeFileSync(path.join(ctx, 'a.txt'), 'hello\n');
      mkdirSync(path.join(ctx, 'dir/sub'), { recursive: true });
      writeFileSync(path.join(ctx, 'dir/sub/f'), 'x\n');
      writeFileSync(path.join(ctx, 'Dockerfile'), DOCKERFILE);
      dk = await startDockerd();
      dk.loadBusybox();
      d = await startDaemon();
      await ensureBusybox(d);
    });
    after(async () => {
      await d?.stop();
      await dk?.stop();
      if (ctx) rmSync(ctx, { recursive: true, force: true });
    });

    const env = { DOCKER_BUILDKIT: '0' };
    const both = (args: string[]): [string, string] => {
      const a = dk.docker(args, { env });
      const b = d.docker(args, { env });
      assert.equal(a.code, 0, `dockerd: docker ${args.join(' ')}: ${a.stderr}`);
      assert.equal(b.code, 0, `berthd: docker ${args.join(' ')}: ${b.stderr}\n${d.log().slice(-2000)}`);
      return [a.stdout, b.stdout];
    };

    it('prints the same build output and makes the same config, history and layers', () => {
      const [outD, outB] = both(['build', '-t', 'diff:1', '--build-arg', 'A=z', '--label', 'from=cli', ctx]);
      assert.equal(mask(outB), mask(outD));
      const [cfgD, cfgB] = both(['image', 'inspect', '-f', '{{json .Config}}', 'diff:1']);
      const strip = (s: string): Record<string, unknown> => {
        const c = JSON.parse(s) as Record<string, unknown>;
        delete c.Image; // the parent step's image ID differs by construction
        return c;
      };
      assert.deepEqual(strip(cfgB), strip(cfgD));
      // Which steps made a layer: a non-zero size; the sizes themselves may differ by directory entries.
      const layered = (s: string): string =>
        s.replace(/\|(.*)$/gm, (_, size: string) => (size === '0B' ? '|empty' : '|layer'));
      const [histD, histB] = both([
        'history',
        '--no-trunc',
        '--format',
        '{{.CreatedBy}}|{{.Size}}',
        'diff:1',
      ]);
      assert.equal(layered(mask(histB)), layered(mask(histD)));
      const [layersD, layersB] = both(['image', 'inspect', '-f', '{{len .RootFS.Layers}}', 'diff:1']);
      assert.equal(layersB, layersD);
    });

    it('prints the same cached rebuild', () => {
      const [outD, outB] = both(['build', '-t', 'diff:2', '--build-arg', 'A=z', '--label', 'from=cli', ctx]);
      assert.match(outB, /Using cache/);
      assert.equal(mask(outB), mask(outD));
    });

    it('makes the same image from stages, exec-form RUN, SHELL, proxy args, MAINTAINER and --chown', () => {
      const dir = path.join(ctx, 'second');
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'a.txt'), 'hi\n');
      writeFileSync(path.join(dir, 'Dockerfile'), DOCKERFILE2);
      // dockerd's classic builder builds every stage before the target, so the failing unused
      // stage would stop it; berthd skips it. dockerd gets the Dockerfile without that stage.
      writeFileSync(
        path.join(dir, 'Dockerfile.dockerd'),
        DOCKERFILE2.replace('FROM busybox AS unused\nRUN exit 1\n', ''),
      );
      const a = dk.docker(
        [
          'build',
          '-f',
          path.join(dir, 'Dockerfile.dockerd'),
          '-t',
          'diff2:1',
          '--build-arg',
          'HTTP_PROXY=http://p:1',
          '--build-arg',
          'V=7',
          dir,
        ],
        { env },
      );
      const b = d.docker(
        ['build', '-t', 'diff2:1', '--build-arg', 'HTTP_PROXY=http://p:1', '--build-arg', 'V=7', dir],
        { env },
      );
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr + d.log().slice(-2000));
      const [cfgD, cfgB] = both(['image', 'inspect', '-f', '{{json .Config}} {{.Author}}', 'diff2:1']);
      assert.equal(cfgB.replace(/sha256:[0-9a-f]+/, ''), cfgD.replace(/sha256:[0-9a-f]+/, ''));
      const [histD, histB] = both(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'diff2:1']);
      assert.equal(mask(histB), mask(histD));
    });

    it('fails a RUN the same way', () => {
      const dir = path.join(ctx, 'fail');
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'Dockerfile'), 'FROM busybox\nRUN echo out; exit 3\n');
      const a = dk.docker(['build', dir], { env });
      const b = d.docker(['build', dir], { env });
      assert.equal(b.code, a.code);
      assert.equal(mask(b.stdout), mask(a.stdout));
      assert.equal(mask(b.stderr), mask(a.stderr));
    });
  },
);
