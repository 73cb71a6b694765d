// docker-archive / OCI image layout formats (pure): the JSON documents that
// `docker save` writes and `docker load` reads.
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const ANNOTATION_IMAGE_NAME = 'io.containerd.image.name';
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
export const OCI_LAYOUT_CONTENT = '{"imageLayoutVersion": "1.0.0"}';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

/** One entry of a docker-archive `manifest.json`. */
export interface ManifestItem {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
  Parent?: string;
  LayerSources?: Record<string, Descriptor>;
}

/** The OCI manifest Docker writes for a saved image (uncompressed layers). */
export function saveManifest(
  config: { digest: string; size: number },
  layers: { digest: string; size: number }[],
): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: OCI_LAYER, digest: l.digest, size: l.size })),
  });
}

export function blobPath(digest: string): string {
  const [alg, hex] = digest.split(':');
  return `blobs/${alg}/${hex}`;
}

/** Picks the manifest for this platform from an index's entries (no platform = any). */
export function pickPlatform(entries: Descriptor[], arch: string, os = 'linux'): Descriptor | undefined {
  const manifests = entries.filter(
    (d) =>
      d.mediaType !== 'application/vnd.in-toto+json' &&
      d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest',
  );
  return (
    manifests.find((d) => d.platform?.os === os && d.platform?.architecture === arch) ??
    manifests.find((d) => !d.platform) ??
    (manifests.length === 1 ? manifests[0] : undefined)
  );
}
