// Docker Compose's labels: the only link between a project's model and the
// engine's objects, so projects made by berth compose and docker compose are
// interchangeable.
export const COMPOSE_VERSION = '2.39.1';

export const L = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  configHash: 'com.docker.compose.config-hash',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  envFile: 'com.docker.compose.project.environment_file',
  dependsOn: 'com.docker.compose.depends_on',
  version: 'com.docker.compose.version',
  image: 'com.docker.compose.image',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  replace: 'com.docker.compose.replace',
} as const;

/** The `filters` query for the project's objects (plus extra label=… terms). */
export function projectFilter(project: string, ...extra: string[]): string {
  return JSON.stringify({ label: [`${L.project}=${project}`, ...extra] });
}

/** Filter for a project's service containers that are not one-off (`run`) containers. */
export function serviceFilter(project: string, service?: string, oneoff = false): string {
  const terms = [`${L.oneoff}=${oneoff ? 'True' : 'False'}`];
  if (service) terms.push(`${L.service}=${service}`);
  return projectFilter(project, ...terms);
}
