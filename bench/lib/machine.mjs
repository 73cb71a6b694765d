// The machine description stored with every result.
import os from 'node:os';
import { run } from './proc.mjs';

export function describeMachine() {
  const first = (cmd, args) => run(cmd, args).stdout.split('\n')[0].trim();
  return {
    host: os.hostname(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: os.release(),
    os: first('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']),
    node: process.version,
    loadavg: os.loadavg()[0].toFixed(2),
  };
}

export function toolVersions() {
  const first = (cmd, args) => run(cmd, args).stdout.split('\n')[0].trim();
  return {
    runc: first('runc', ['--version']).replace(/^runc version /, ''),
    conmon: first('conmon', ['--version']).replace(/^conmon version /, ''),
    containerd: first('containerd', ['--version']),
  };
}
