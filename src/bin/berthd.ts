// berthd: the engine daemon. Parses flags over daemon.json, starts the
// Daemon, and shuts it down cleanly on SIGTERM/SIGINT.
import { Command, Option } from 'commander';
import { applyConfigFile, DEFAULT_CONFIG_FILE, DEFAULT_SOCKET, defaultConfig, readConfigFile } from '../engine/config.js';
import { Daemon } from '../engine/daemon.js';
import { reloadDaemonConfig } from '../engine/reload.js';
import { isLogLevel, Logger } from '../util/log.js';
import { BERTH_VERSION } from '../version.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

const program = new Command('berthd')
  .description('berth engine daemon: serves the Docker Engine API')
  .version(`berthd version ${BERTH_VERSION}`, '-v, --version')
  .option('-H, --host <host>', 'daemon socket(s) to listen on (unix:// or tcp://)', collect, [])
  .option('--data-root <dir>', 'root directory of persistent state', undefined)
  .option('--exec-root <dir>', 'root directory for execution state files', undefined)
  .option('--config-file <file>', 'daemon configuration file', DEFAULT_CONFIG_FILE)
  .addOption(new Option('-l, --log-level <level>', 'logging level').choices(['debug', 'info', 'warn', 'error', 'fatal']))
  .option('-D, --debug', 'enable debug mode')
  .option('-G, --group <group>', 'group for the unix socket')
  .option('--default-runtime <name>', 'default OCI runtime for containers')
  .option('--insecure-registry <host>', 'insecure registry communication', collect, [])
  .option('--registry-mirror <url>', 'preferred registry mirror', collect, [])
  .option('--bip <cidr>', 'network address of the default bridge')
  .option('--no-ip-masq', 'disable IP masquerading')
  .option('--no-iptables', 'disable iptables rules')
  .allowExcessArguments(false);

program.parse();
const opts = program.opts();
const log = new Logger('info');

async function main(): Promise<void> {
  const explicit = program.getOptionValueSource('configFile') === 'cli';
  const cfg = applyConfigFile(defaultConfig(), readConfigFile(opts.configFile, explicit));
  if (opts.host.length) cfg.hosts = opts.host;
  if (!cfg.hosts.length) cfg.hosts = [DEFAULT_SOCKET];
  if (opts.dataRoot) cfg.dataRoot = opts.dataRoot;
  if (opts.execRoot) cfg.execRoot = opts.execRoot;
  if (opts.debug) cfg.debug = true;
  if (opts.logLevel) cfg.logLevel = opts.logLevel;
  else if (cfg.debug) cfg.logLevel = 'debug';
  if (opts.group) cfg.group = opts.group;
  if (opts.defaultRuntime) cfg.defaultRuntime = opts.defaultRuntime;
  cfg.insecureRegistries.push(...opts.insecureRegistry);
  cfg.registryMirrors.push(...opts.registryMirror);
  if (opts.bip) cfg.bip = opts.bip;
  if (opts.ipMasq === false) cfg.ipMasq = false;
  if (opts.iptables === false) cfg.iptables = false;
  if (!isLogLevel(cfg.logLevel)) throw new Error(`invalid log level: ${cfg.logLevel}`);
  log.setLevel(cfg.logLevel);

  const daemon = await Daemon.start(cfg, log);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`Processing signal '${signal}'`);
    daemon.stop().then(
      () => {
        log.info('Daemon shutdown complete');
        process.exit(0);
      },
      (e: unknown) => {
        log.error('shutdown failed: ' + (e as Error).message);
        process.exit(1);
      },
    );
  };
  process.on('SIGHUP', () => {
    // Like dockerd: reload daemon.json; a bad file is logged and changes nothing.
    try {
      reloadDaemonConfig(daemon, readConfigFile(opts.configFile, explicit), (l) => log.setLevel(l));
      log.info('Reloaded configuration from ' + opts.configFile);
    } catch (e) {
      log.error('Error reconfiguring the daemon: ' + (e as Error).message);
    }
  });
  process.on('SIGTERM', () => shutdown('terminated'));
  process.on('SIGINT', () => shutdown('interrupt'));
}

main().catch((e: unknown) => {
  log.error(`failed to start daemon: ${(e as Error).message}`);
  process.exit(1);
});
