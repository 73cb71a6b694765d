// Lines a container's /etc/hosts gains and loses while it runs: one
// "<address>\t<hostname>" per network it is connected to later (Docker's
// libnetwork adds the same). The file is bind-mounted into the container, so
// it is rewritten in place, never replaced by a rename.
import { readFileSync, writeFileSync } from 'node:fs';

/** `hc1.example.com hc1` with a domain, else the hostname (as the file's own line at start). */
export function hostsNames(hostname: string, domainname = ''): string {
  if (!hostname) return '';
  return domainname ? `${hostname}.${domainname} ${hostname}` : hostname;
}

function rewrite(file: string, edit: (lines: string[]) => string[]): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return; // no hosts file of ours (the container never started)
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  writeFileSync(
    file,
    edit(lines)
      .map((l) => l + '\n')
      .join(''),
  );
}

export function addHostsEntry(file: string, ip: string, names: string): void {
  if (!names) return;
  rewrite(file, (lines) => (lines.includes(`${ip}\t${names}`) ? lines : [...lines, `${ip}\t${names}`]));
}

/** Removes the lines for `ip` (the address a disconnected network gave). */
export function removeHostsEntry(file: string, ip: string): void {
  rewrite(file, (lines) => lines.filter((l) => !l.startsWith(`${ip}\t`)));
}
