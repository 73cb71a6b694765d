// Project networks and volumes: created before containers (unless external,
// which must exist), removed by `down` (volumes only with -v).
import { ApiError, type Client } from '../client/client.js';
import { ComposeError, type Network, type Project, type Volume } from './model.js';
import { COMPOSE_VERSION, L, projectFilter } from './labels.js';
import { serviceNetworks } from './converge-spec.js';
import { ids, warnLine, type Progress } from './progress.js';

const enc = encodeURIComponent;

async function inspect(client: Client, path: string): Promise<any | undefined> {
  try {
    return await client.get(path);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return undefined;
    throw e;
  }
}

/** The networks the given services use, with the model's definition (default synthesised). */
export function usedNetworks(project: Project, services: string[]): Map<string, Network> {
  const out = new Map<string, Network>();
  for (const name of services) {
    const s = project.services[name];
    for (const key of s ? serviceNetworks(s) : []) {
      const def =
        project.networks[key] ??
        (key === 'default' ? { name: `${project.name}_default`, labels: {} } : undefined);
      if (!def)
        throw new ComposeError(
          `service "${name}" refers to undefined network ${key}: invalid compose project`,
        );
      out.set(key, def);
    }
  }
  return out;
}

export async function ensureNetwork(
  client: Client,
  project: Project,
  key: string,
  net: Network,
  progress: Progress,
): Promise<void> {
  const existing = await inspect(client, `/networks/${enc(net.name)}`);
  if (net.external) {
    if (!existing) throw new ComposeError(`network ${net.name} declared as external, but could not be found`);
    return;
  }
  if (existing) {
    const labels = existing.Labels ?? {};
    if (labels[L.project] !== undefined && labels[L.project] !== project.name)
      progress.message(
        warnLine(
          `a network with name ${net.name} exists but was not created for project "${project.name}".\nSet \`external: true\` to use an existing network`,
        ),
      );
    return;
  }
  const id = ids.network(net.name);
  progress.event(id, 'Creating');
  const ipam = net.ipam
    ? {
        Driver: net.ipam.driver ?? 'default',
        Config: (net.ipam.config ?? []).map((c) => ({
          Subnet: c.subnet,
          Gateway: c.gateway,
          IPRange: c.ip_range,
        })),
      }
    : undefined;
  try {
    await client.post('/networks/create', {
      Name: net.name,
      Driver: net.driver ?? 'bridge',
      Options: net.driver_opts,
      Internal: Boolean(net.internal),
      Attachable: Boolean(net.attachable),
      EnableIPv6: net.enable_ipv6,
      IPAM: ipam,
      Labels: {
        ...(net.labels ?? {}),
        [L.network]: key,
        [L.project]: project.name,
        [L.version]: COMPOSE_VERSION,
      },
    });
  } catch (e) {
    // Another `up` of the same project may have created it meanwhile.
    if (!(e instanceof ApiError && e.status === 409)) {
      progress.event(id, 'Error', { error: true });
      throw new ComposeError(`failed to create network ${net.name}: ${(e as Error).message}`);
    }
  }
  progress.event(id, 'Created');
}

export async function ensureVolume(
  client: Client,
  project: Project,
  key: string,
  vol: Volume,
  progress: Progress,
): Promise<void> {
  const existing = await inspect(client, `/volumes/${enc(vol.name)}`);
  if (vol.external) {
    if (!existing) throw new ComposeError(`external volume "${vol.name}" not found`);
    return;
  }
  if (existing) return;
  const id = ids.volume(vol.name);
  progress.event(id, 'Creating');
  await client.post('/volumes/create', {
    Name: vol.name,
    Driver: vol.driver ?? 'local',
    DriverOpts: vol.driver_opts ?? {},
    Labels: {
      ...(vol.labels ?? {}),
      [L.volume]: key,
      [L.project]: project.name,
      [L.version]: COMPOSE_VERSION,
    },
  });
  progress.event(id, 'Created');
}

/** The named volumes the given services mount. */
export function usedVolumes(project: Project, services: string[]): Map<string, Volume> {
  const out = new Map<string, Volume>();
  for (const name of services)
    for (const v of project.services[name]?.volumes ?? [])
      if (v.type === 'volume' && v.source && project.volumes[v.source])
        out.set(v.source, project.volumes[v.source]);
  return out;
}

/** Networks and volumes for `services`, all at once. */
export async function ensureResources(
  client: Client,
  project: Project,
  services: string[],
  progress: Progress,
): Promise<void> {
  const nets = usedNetworks(project, services);
  // Declared networks are created even when no selected service uses them, as Compose does.
  for (const [key, def] of Object.entries(project.networks))
    if (!nets.has(key) && !def.external) nets.set(key, def);
  const vols = usedVolumes(project, services);
  for (const [key, def] of Object.entries(project.volumes)) if (!vols.has(key)) vols.set(key, def);
  await Promise.all([
    ...[...nets].map(([key, def]) => ensureNetwork(client, project, key, def, progress)),
    ...[...vols].map(([key, def]) => ensureVolume(client, project, key, def, progress)),
  ]);
}

/** `down`: the project's networks (by label, plus the model's names), then volumes with -v. */
export async function removeNetworks(client: Client, project: Project, progress: Progress): Promise<void> {
  const listed: any[] = await client.get('/networks', { filters: projectFilter(project.name) });
  const names = new Set<string>();
  for (const n of listed) names.add(n.Name);
  for (const def of Object.values(project.networks)) if (!def.external) names.add(def.name);
  const existingNames = new Set(listed.map((n) => n.Name));
  await Promise.all(
    [...names].map(async (name) => {
      if (!existingNames.has(name) && !(await inspect(client, `/networks/${enc(name)}`))) return;
      const id = ids.network(name);
      progress.event(id, 'Removing');
      try {
        await client.delete(`/networks/${enc(name)}`);
        progress.event(id, 'Removed');
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return progress.event(id, 'Removed');
        progress.event(id, 'Error', { error: true });
        throw e;
      }
    }),
  );
}

export async function removeVolumes(client: Client, project: Project, progress: Progress): Promise<void> {
  const listed: any = await client.get('/volumes', { filters: projectFilter(project.name) });
  const names = new Set<string>((listed.Volumes ?? []).map((v: any) => v.Name as string));
  for (const def of Object.values(project.volumes)) if (!def.external) names.add(def.name);
  await Promise.all(
    [...names].map(async (name) => {
      const id = ids.volume(name);
      try {
        await client.delete(`/volumes/${enc(name)}`);
        progress.event(id, 'Removed');
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return;
        progress.event(id, 'Error', { error: true });
        throw e;
      }
    }),
  );
}
