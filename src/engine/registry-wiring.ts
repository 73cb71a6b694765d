// Builds the registry services (client, pull, push) from the daemon config.
// The certs.d directory is /etc/berth/certs.d unless daemon.json names
// another with the berth-specific `certs-dir` key (tests use a temp dir).
import { BlobSources } from '../distribution/blob-sources.js';
import { DEFAULT_CERTS_DIR } from '../distribution/tls.js';
import type { DB } from '../store/db.js';
import { RegistryService } from './auth.js';
import type { DaemonConfig } from './config.js';
import type { ImageService } from './images.js';
import { Puller } from './pull.js';
import { Pusher } from './push.js';

export interface RegistryServices {
  registry: RegistryService;
  puller: Puller;
  pusher: Pusher;
}

export function createRegistryServices(config: DaemonConfig, db: DB, images: ImageService): RegistryServices {
  const certsDir = typeof config.raw['certs-dir'] === 'string' ? config.raw['certs-dir'] : DEFAULT_CERTS_DIR;
  const registry = new RegistryService(config, certsDir);
  const sources = new BlobSources(db);
  return {
    registry,
    puller: new Puller(images, registry, sources),
    pusher: new Pusher(images, registry, sources),
  };
}
