// Every scenario, in the order they run (idle memory first, before anything
// has warmed the daemons up), and the ones waiting for their feature.
import { runRm, runDetached50, ps200, stop20, execTrue, statsOnce, versionCli } from './containers.mjs';
import { logs100 } from './logs.mjs';
import { rssIdle, rss50 } from './memory.mjs';
import { imageImport, imageSave, imageLoad } from './images.mjs';
import { publishedPort, containerToContainer } from './network.mjs';
import { pullCold, pullWarm, pullShared, push } from './registry.mjs';
import { build12 } from './build.mjs';
import { compose10 } from './compose.mjs';
import { fsOps } from './fs-ops.mjs';

export const SCENARIOS = [
  rssIdle,
  versionCli,
  runRm,
  execTrue,
  statsOnce,
  ps200,
  runDetached50,
  stop20,
  logs100,
  imageImport,
  imageSave,
  imageLoad,
  fsOps,
  publishedPort,
  containerToContainer,
  pullCold,
  pullWarm,
  pullShared,
  push,
  build12,
  compose10,
  rss50,
];

/** Scenarios whose berth feature has not landed yet (shown under "Not measured"). */
export const PENDING = [];
