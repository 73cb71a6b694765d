// Profiles: a service with `profiles:` runs only when one of them is active
// (`--profile`, COMPOSE_PROFILES, or `*` for all); services without profiles
// always run. A service named on the command line is enabled whatever its
// profiles, and so are the services it depends on.
import type { Service } from './model.js';

/** `--profile` flags first, else the comma list in COMPOSE_PROFILES. */
export function activeProfiles(flags: string[], env: Record<string, string | undefined>): string[] {
  if (flags.length > 0) return flags.flatMap((p) => p.split(',')).filter(Boolean);
  return (env.COMPOSE_PROFILES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function isEnabled(service: Pick<Service, 'profiles'>, profiles: string[]): boolean {
  const own = service.profiles ?? [];
  return own.length === 0 || profiles.includes('*') || own.some((p) => profiles.includes(p));
}

export interface Selection {
  enabled: Record<string, Service>;
  disabled: Record<string, Service>;
}

export function selectServices(
  services: Record<string, Service>,
  profiles: string[],
  named: string[] = [],
): Selection {
  const enabled: Record<string, Service> = {};
  const disabled: Record<string, Service> = {};
  for (const [name, s] of Object.entries(services)) {
    if (isEnabled(s, profiles)) enabled[name] = s;
    else disabled[name] = s;
  }
  const queue = named.filter((n) => n in disabled);
  while (queue.length > 0) {
    const name = queue.shift()!;
    const s = disabled[name];
    if (!s) continue;
    enabled[name] = s;
    delete disabled[name];
    for (const dep of Object.keys(s.depends_on)) if (dep in disabled) queue.push(dep);
  }
  // Keep the files' order of services.
  const ordered: Record<string, Service> = {};
  for (const name of Object.keys(services)) if (name in enabled) ordered[name] = enabled[name]!;
  return { enabled: ordered, disabled };
}

/** Every profile named by any service, sorted (what `config --profiles` prints). */
export function allProfiles(services: Record<string, Service>): string[] {
  return [...new Set(Object.values(services).flatMap((s) => s.profiles))].sort();
}
