// Model → Engine API: the create body Compose v2 sends for a service, the
// dependency order, plain progress lines, log line splitting, ls status,
// and the docker CLI plugin's argv handling.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Project, Service } from '../../src/compose/model.js';
import { ComposeError } from '../../src/compose/model.js';
import { containerName, createBody, dependsOnLabel } from '../../src/compose/converge-spec.js';
import { checkCycles, visitInOrder, withDependencies } from '../../src/compose/graph.js';
import { Progress } from '../../src/compose/progress.js';
import { LineSplitter, LogPrinter, displayName } from '../../src/compose/logs.js';
import { combinedStatus } from '../../src/compose/commands/ps.js';
import { parseScale } from '../../src/compose/commands/up.js';
import { desiredScale, selectServices } from '../../src/compose/converge.js';
import { pluginArgv } from '../../src/compose/plugin.js';

function svc(name: string, over: Partial<Service> = {}): Service {
  return {
    name,
    image: 'busybox:latest',
    environment: {},
    labels: {},
    ports: [],
    expose: [],
    volumes: [],
    tmpfs: [],
    networks: {},
    depends_on: {},
    profiles: [],
    secrets: [],
    configs: [],
    extra_hosts: [],
    dns: [],
    ulimits: {},
    cap_add: [],
    cap_drop: [],
    ...over,
  };
}

function project(services: Service[], over: Partial<Project> = {}): Project {
  return {
    name: 'p',
    working_dir: '/srv/p',
    config_files: ['/srv/p/compose.yaml'],
    environment: { FROM_DOTENV: 'dot' },
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    networks: {},
    volumes: { data: { name: 'p_data', labels: {} } },
    secrets: { token: { name: 'p_token', file: '/srv/p/token.txt' } },
    configs: { app: { name: 'p_app', file: '/srv/p/app.conf' } },
    disabled_services: {},
    ...over,
  };
}

const dep = (
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully' = 'service_started',
) => ({
  condition,
  required: true,
  restart: false,
});

describe('compose: service → container create body', () => {
  const web = svc('web', {
    command: ['sh', '-c', 'echo hi'],
    entrypoint: ['/bin/entry'],
    environment: { A: '1', FROM_DOTENV: null, MISSING_EVERYWHERE: null },
    labels: { 'x.y': 'z' },
    ports: [
      { target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' },
      { target: 53, protocol: 'udp', mode: 'ingress', host_ip: '127.0.0.1' },
    ],
    expose: ['9000'],
    volumes: [
      { type: 'volume', source: 'data', target: '/data' },
      { type: 'bind', source: '/srv/p/html', target: '/www', read_only: true },
      { type: 'tmpfs', target: '/scratch' },
    ],
    tmpfs: ['/run:size=1m'],
    secrets: [{ source: 'token' }],
    configs: [{ source: 'app', target: '/etc/app.conf' }],
    depends_on: { db: dep('service_healthy') },
    healthcheck: { test: ['CMD', 'true'], interval: '1s', timeout: '2s', retries: 3 },
    restart: 'on-failure:3',
    deploy: { resources: { limits: { cpus: '0.5', memory: '64m' } } },
    init: true,
    user: '1000:1000',
    working_dir: '/w',
    extra_hosts: ['h1=10.0.0.1', 'h2:10.0.0.2'],
    dns: ['1.1.1.1'],
    ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: 512 },
    stop_signal: 'SIGINT',
    stop_grace_period: '1m30s',
    cap_add: ['NET_ADMIN'],
    cap_drop: ['MKNOD'],
    privileged: false,
    read_only: true,
    shm_size: '128m',
    logging: { driver: 'json-file', options: { 'max-size': '1m' } },
    tty: true,
    stdin_open: true,
    hostname: 'webhost',
  });
  const p = project([web, svc('db')]);
  const { body, name, extraNetworks } = createBody({
    project: p,
    service: web,
    number: 2,
    name: containerName(p, web, 2),
    imageId: 'sha256:abc',
  });

  it('names the container <project>-<service>-<n> and labels it like Compose', () => {
    assert.equal(name, 'p-web-2');
    assert.equal(containerName(p, svc('x', { container_name: 'custom' }), 1), 'custom');
    assert.deepEqual(
      Object.fromEntries(Object.entries(body.Labels).filter(([k]) => k !== 'com.docker.compose.config-hash')),
      {
        'x.y': 'z',
        'com.docker.compose.project': 'p',
        'com.docker.compose.service': 'web',
        'com.docker.compose.container-number': '2',
        'com.docker.compose.oneoff': 'False',
        'com.docker.compose.project.working_dir': '/srv/p',
        'com.docker.compose.project.config_files': '/srv/p/compose.yaml',
        'com.docker.compose.project.environment_file': '/srv/p/.env',
        'com.docker.compose.depends_on': 'db:service_healthy:false',
        'com.docker.compose.version': body.Labels['com.docker.compose.version'],
        'com.docker.compose.image': 'sha256:abc',
      },
    );
  });

  it('maps process settings', () => {
    assert.deepEqual(body.Cmd, ['sh', '-c', 'echo hi']);
    assert.deepEqual(body.Entrypoint, ['/bin/entry']);
    assert.deepEqual(body.Env, ['A=1', 'FROM_DOTENV=dot']); // null → project env; unset everywhere → left out
    assert.equal(body.User, '1000:1000');
    assert.equal(body.WorkingDir, '/w');
    assert.equal(body.Hostname, 'webhost');
    assert.equal(body.Tty, true);
    assert.equal(body.OpenStdin, true);
    assert.equal(body.StopSignal, 'SIGINT');
    assert.equal(body.StopTimeout, 90);
    assert.deepEqual(body.Healthcheck, {
      Test: ['CMD', 'true'],
      Interval: 1e9,
      Timeout: 2e9,
      StartPeriod: undefined,
      StartInterval: undefined,
      Retries: 3,
    });
  });

  it('maps ports, mounts, secrets and configs', () => {
    assert.deepEqual(body.ExposedPorts, { '80/tcp': {}, '53/udp': {}, '9000/tcp': {} });
    assert.deepEqual(body.HostConfig.PortBindings, {
      '80/tcp': [{ HostIp: '', HostPort: '8080' }],
      '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    });
    assert.deepEqual(body.HostConfig.Binds, [
      '/srv/p/token.txt:/run/secrets/token:ro',
      '/srv/p/app.conf:/etc/app.conf:ro',
      '/srv/p/html:/www:ro',
    ]);
    assert.deepEqual(body.HostConfig.Mounts[0], {
      Type: 'volume',
      Source: 'p_data',
      Target: '/data',
      ReadOnly: undefined,
      VolumeOptions: undefined,
    });
    assert.equal(body.HostConfig.Mounts[1].Type, 'tmpfs');
    assert.deepEqual(body.HostConfig.Tmpfs, { '/run': 'size=1m' });
  });

  it('maps host settings and limits', () => {
    const h = body.HostConfig;
    assert.deepEqual(h.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.equal(h.NanoCpus, 500_000_000);
    assert.equal(h.Memory, 64 * 1024 * 1024);
    assert.equal(h.ShmSize, 128 * 1024 * 1024);
    assert.equal(h.Init, true);
    assert.equal(h.ReadonlyRootfs, true);
    assert.deepEqual(h.CapAdd, ['NET_ADMIN']);
    assert.deepEqual(h.CapDrop, ['MKNOD']);
    assert.deepEqual(h.ExtraHosts, ['h1:10.0.0.1', 'h2:10.0.0.2']);
    assert.deepEqual(h.Dns, ['1.1.1.1']);
    assert.deepEqual(h.Ulimits, [
      { Name: 'nofile', Soft: 1024, Hard: 2048 },
      { Name: 'nproc', Soft: 512, Hard: 512 },
    ]);
    assert.deepEqual(h.LogConfig, { Type: 'json-file', Config: { 'max-size': '1m' } });
  });

  it('joins <project>_default with the service name as alias; other networks after create', () => {
    assert.equal(body.HostConfig.NetworkMode, 'p_default');
    assert.deepEqual(body.NetworkingConfig.EndpointsConfig, {
      p_default: { Aliases: ['web'], IPAMConfig: undefined },
    });
    assert.deepEqual(extraNetworks, []);
    const multi = svc('api', { networks: { front: { aliases: ['api.local'] }, back: { priority: 10 } } });
    const pm = project([multi], {
      networks: {
        front: { name: 'p_front', labels: {} },
        back: { name: 'shared', external: true, labels: {} },
      },
    });
    const m = createBody({ project: pm, service: multi, number: 1, name: 'p-api-1' });
    assert.equal(m.body.HostConfig.NetworkMode, 'shared'); // highest priority first
    assert.deepEqual(m.extraNetworks, [
      { name: 'p_front', config: { Aliases: ['api', 'api.local'], IPAMConfig: undefined } },
    ]);
    const oneoff = createBody({ project: pm, service: multi, number: 1, name: 'p-api-run-x', oneoff: true });
    assert.equal(oneoff.body.Labels['com.docker.compose.oneoff'], 'True');
    assert.deepEqual(oneoff.body.NetworkingConfig.EndpointsConfig.shared, {
      Aliases: undefined,
      IPAMConfig: undefined,
    });
  });

  it('network_mode host/none/service:x', () => {
    const host = createBody({
      project: p,
      service: svc('h', { network_mode: 'host' }),
      number: 1,
      name: 'p-h-1',
    });
    assert.equal(host.body.HostConfig.NetworkMode, 'host');
    assert.deepEqual(host.body.NetworkingConfig.EndpointsConfig, {});
    const joined = createBody({
      project: p,
      service: svc('j', { network_mode: 'service:db' }),
      number: 1,
      name: 'p-j-1',
      networkModeContainer: 'abc123',
    });
    assert.equal(joined.body.HostConfig.NetworkMode, 'container:abc123');
  });

  it('depends_on label lists name:condition:restart', () => {
    assert.equal(
      dependsOnLabel(
        svc('a', {
          depends_on: {
            b: dep(),
            c: { condition: 'service_completed_successfully', required: false, restart: true },
          },
        }),
      ),
      'b:service_started:false,c:service_completed_successfully:true',
    );
  });
});

describe('compose: dependency graph', () => {
  const chain = project([
    svc('a'),
    svc('b', { depends_on: { a: dep() } }),
    svc('c', { depends_on: { b: dep() } }),
    svc('d', { depends_on: { a: dep() } }),
  ]);

  it('withDependencies adds what the selection depends on', () => {
    assert.deepEqual(withDependencies(chain, ['c']), ['a', 'b', 'c']);
    assert.deepEqual(selectServices(chain, ['c'], true), ['c']);
    assert.throws(() => selectServices(chain, ['nope']), /no such service: nope/);
  });

  it('up visits dependencies first and runs independent services side by side; down the reverse', async () => {
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    await visitInOrder(chain, ['a', 'b', 'c', 'd'], 'up', async (n) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      log.push(`start ${n}`);
      await new Promise((r) => setTimeout(r, 10));
      log.push(`end ${n}`);
      running--;
    });
    const at = (s: string) => log.indexOf(s);
    assert.ok(at('end a') < at('start b') && at('end b') < at('start c') && at('end a') < at('start d'));
    assert.equal(maxRunning, 2); // b and d together
    const down: string[] = [];
    await visitInOrder(chain, ['a', 'b', 'c', 'd'], 'down', async (n) => void down.push(n));
    assert.ok(
      down.indexOf('c') < down.indexOf('b') &&
        down.indexOf('b') < down.indexOf('a') &&
        down.indexOf('d') < down.indexOf('a'),
    );
  });

  it('a failure stops what depends on it and is rethrown', async () => {
    const seen: string[] = [];
    await assert.rejects(
      visitInOrder(chain, ['a', 'b', 'c'], 'up', async (n) => {
        seen.push(n);
        if (n === 'b') throw new Error('boom');
      }),
      /boom/,
    );
    assert.deepEqual(seen, ['a', 'b']);
  });

  it('cycles are refused with the path', () => {
    const cyc = project([svc('x', { depends_on: { y: dep() } }), svc('y', { depends_on: { x: dep() } })]);
    assert.throws(
      () => checkCycles(cyc),
      (e: Error) => e instanceof ComposeError && /dependency cycle detected: x -> y -> x/.test(e.message),
    );
  });

  it('scale: --scale beats scale beats deploy.replicas', () => {
    assert.equal(desiredScale(svc('a')), 1);
    assert.equal(desiredScale(svc('a', { deploy: { replicas: 3 } })), 3);
    assert.equal(desiredScale(svc('a', { deploy: { replicas: 3 }, scale: 2 })), 2);
    assert.equal(desiredScale(svc('a', { scale: 2 }), { a: 0 }), 0);
    assert.deepEqual(parseScale(['web=3', 'db=0']), { web: 3, db: 0 });
    assert.throws(() => parseScale(['web']), /invalid scale/);
  });
});

describe('compose: output', () => {
  const sink = () => {
    let text = '';
    const w = new Writable({ write: (c, _e, cb) => ((text += c), cb()) });
    return { w, text: () => text };
  };

  it('plain progress prints one line per event, like Compose without a terminal', () => {
    const s = sink();
    const p = new Progress(s.w, 'auto');
    assert.equal(p.mode, 'plain');
    p.event('Network p_default', 'Creating');
    p.event('Network p_default', 'Created');
    p.event('Container p-web-1', 'Started');
    p.stop();
    assert.equal(
      s.text(),
      ' Network p_default  Creating\n Network p_default  Created\n Container p-web-1  Started\n',
    );
    const q = sink();
    new Progress(q.w, 'quiet').event('x', 'Created');
    assert.equal(q.text(), '');
  });

  it('log lines get padded prefixes; frames and partial lines are reassembled', () => {
    const s = sink();
    const printer = new LogPrinter(s.w, { color: false, prefix: true });
    printer.register('web-1');
    printer.register('db-10');
    const lines = new LineSplitter(false, (l) => printer.line('web-1', l));
    const frame = (stream: number, text: string) => {
      const b = Buffer.from(text);
      const h = Buffer.alloc(8);
      h[0] = stream;
      h.writeUInt32BE(b.length, 4);
      return Buffer.concat([h, b]);
    };
    const both = Buffer.concat([frame(1, 'one\ntw'), frame(1, 'o\n'), frame(2, 'err\n')]);
    lines.push(both.subarray(0, 5));
    lines.push(both.subarray(5));
    lines.end();
    assert.equal(s.text(), 'web-1  | one\nweb-1  | two\nweb-1  | err\n');
    const c = sink();
    const coloured = new LogPrinter(c.w, { color: true, prefix: true });
    coloured.register('a-1');
    coloured.line('a-1', 'x');
    assert.equal(c.text(), '\x1b[36ma-1  | \x1b[0mx\n');
    assert.equal(displayName('p', 'p-web-1'), 'web-1');
    assert.equal(displayName('p', 'custom'), 'custom');
  });

  it('ls status counts containers per state', () => {
    assert.equal(
      combinedStatus([{ State: 'running' }, { State: 'exited' }, { State: 'running' }]),
      'exited(1), running(2)',
    );
  });
});

describe('compose: docker CLI plugin argv', () => {
  it('leaves a plain berth command alone', () => {
    const argv = ['node', 'berth', 'compose', 'ps'];
    assert.deepEqual(pluginArgv(argv, {}), argv);
  });

  it('as a plugin: drops docker-only flags, takes -H as the engine', () => {
    const env: NodeJS.ProcessEnv = { DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: 'docker' };
    const out = pluginArgv(
      [
        'node',
        'plugin',
        '--config',
        '/tmp/cfg',
        '-H',
        'unix:///x.sock',
        '--tls',
        '-D',
        'compose',
        'up',
        '-d',
      ],
      env,
    );
    assert.deepEqual(out, ['node', 'plugin', '-D', 'compose', 'up', '-d']);
    assert.equal(env.BERTH_HOST, 'unix:///x.sock');
    const env2: NodeJS.ProcessEnv = {
      DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: 'docker',
      DOCKER_HOST: 'unix:///y.sock',
      DOCKER_CONFIG: '/nonexistent',
    };
    pluginArgv(['node', 'plugin', 'compose', 'ps'], env2);
    assert.equal(env2.BERTH_HOST, 'unix:///y.sock');
    const env3: NodeJS.ProcessEnv = {
      DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: 'docker',
      DOCKER_CONFIG: '/nonexistent',
    };
    pluginArgv(['node', 'plugin', 'compose', 'ps'], env3);
    assert.equal(env3.BERTH_HOST, 'unix:///var/run/docker.sock');
  });
});
