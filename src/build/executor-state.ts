// What one stage carries from step to step (dockerd's dispatchState): the
// current image, its config, history and layers, the ARGs in scope, and
// the commit of a step as a new (intermediate) image, as the legacy builder
// commits one image per step.
import type { HistoryEntry, ImageConfig } from '../image/config.js';
import type { ImageService } from '../engine/images.js';
import { cloneConfig, normalise, runConfigFrom, type RunConfig } from './image-config.js';
import type { StageOutput } from './executor-output.js';
import type { StagePlan } from './stages.js';
import type { Layer } from '../store/layers.js';

/** ARGs usable without a declaration (values only from --build-arg) and kept out of history unless declared. */
export const PROXY_ARGS = new Set([
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
]);

export interface StageState {
  plan: StagePlan;
  out: StageOutput;
  /** The current image; '' before the first commit of a `FROM scratch` stage. */
  imageId: string;
  topLayer: string | null;
  config: RunConfig;
  /** The base image's config fields the new images keep (architecture, os, variant). */
  platform: { architecture: string; os: string; variant?: string };
  history: HistoryEntry[];
  diffIds: string[];
  /** ARGs declared in this stage → value in effect (undefined: declared without a value). */
  args: Map<string, string | undefined>;
  /** CMD was set in this stage (ENTRYPOINT then keeps it). */
  cmdSet: boolean;
  /** MAINTAINER: the `author` of every image committed after it in this stage. */
  author?: string;
}

export interface Commit {
  /** ContainerConfig.Cmd of the step (what `created_by` joins). */
  containerCmd: string[];
  containerId?: string;
  layer?: Layer | null;
}

/** Commits the stage's current config (plus an optional layer) as a new image. Returns its ID. */
export function commitStep(images: ImageService, st: StageState, c: Commit): string {
  const created = new Date().toISOString();
  const config = normalise({ ...st.config, Image: st.imageId });
  const containerConfig = normalise({
    ...cloneConfig(config),
    Hostname: c.containerId ? c.containerId.slice(0, 12) : '',
    Cmd: c.containerCmd,
  });
  const createdBy = c.containerCmd.join(' ');
  const entry: HistoryEntry = { created, created_by: createdBy };
  if (!c.layer) entry.empty_layer = true;
  const history = [...st.history, entry];
  const diffIds = c.layer ? [...st.diffIds, c.layer.diffId] : st.diffIds;
  const topLayer = c.layer ? c.layer.chainId : st.topLayer;
  // dockerd writes the config with sorted keys.
  const img: ImageConfig = {
    architecture: st.platform.architecture,
    ...(st.author ? { author: st.author } : {}),
    config: config as unknown as ImageConfig['config'],
    container: c.containerId ?? '',
    container_config: containerConfig as unknown as ImageConfig['container_config'],
    created,
    history,
    os: st.platform.os,
    rootfs: { type: 'layers', diff_ids: diffIds },
    ...(st.platform.variant ? { variant: st.platform.variant } : {}),
  };
  if (!c.containerId) delete img.container;
  const id = images.createImage(JSON.stringify(img), topLayer, [], st.imageId || null);
  adoptImage(images, st, id);
  return id;
}

/** Makes `id` (a committed step or a cache hit) the stage's current image. */
export function adoptImage(images: ImageService, st: StageState, id: string): void {
  const rec = images.get(id);
  const cfg = rec.config as ImageConfig;
  st.imageId = rec.id;
  st.topLayer = rec.topLayer;
  st.history = [...(cfg.history ?? [])];
  st.diffIds = [...(cfg.rootfs?.diff_ids ?? [])];
  st.config = runConfigFrom(cfg.config);
}
