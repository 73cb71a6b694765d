// `berth version`, `berth info`, `berth system events`.
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { BERTH_VERSION } from '../version.js';
import { goArch } from '../engine/host.js';

export function registerSystemCommands(program: Command, ctx: CliContext): void {
  program
    .command('version')
    .description('Show the berth version information')
    .option('-f, --format <template>', 'format output using a custom template')
    .action(async () => {
      const client = [
        'Client:',
        ` Version:           ${BERTH_VERSION}`,
        ` API version:       1.51`,
        ` Node.js version:   ${process.versions.node}`,
        ` OS/Arch:           linux/${goArch()}`,
      ];
      ctx.print(client.join('\n'));
      ctx.print();
      const v = await ctx.client.get('/version');
      ctx.print(`Server: ${v.Platform?.Name ?? ''}`);
      for (const c of v.Components ?? []) {
        ctx.print(` ${c.Name}:`);
        ctx.print(`  Version:          ${c.Version}`);
        if (c.Details?.ApiVersion) ctx.print(`  API version:      ${c.Details.ApiVersion} (minimum version ${c.Details.MinAPIVersion})`);
        if (c.Details?.GitCommit) ctx.print(`  Git commit:       ${c.Details.GitCommit}`);
        if (c.Details?.Os) ctx.print(`  OS/Arch:          ${c.Details.Os}/${c.Details.Arch}`);
      }
    });
}
