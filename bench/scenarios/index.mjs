// Every scenario, in the order they run (idle memory first, before anything
// has warmed the daemons up), and the ones waiting for their feature.
import { runRm, runDetached50, ps200, stop20, execTrue, statsOnce, versionCli } from './containers.mjs';
import { logs100 } from './logs.mjs';
import { rssIdle, rss50 } from './memory.mjs';
import { imageImport, imageSave, imageLoad } from './images.mjs';
import { publishedPort, containerToContainer } from './network.mjs';
import { pullCold, pullShared, push } from './registry.mjs';

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
  publishedPort,
  containerToContainer,
  pullCold,
  pullShared,
  push,
  rss50,
];

/** Scenarios whose berth feature has not landed yet (shown under "Not measured"). */
export const PENDING = [
  {
    title: 'build of a 12-step 2-stage Dockerfile (cold, no-change, one file touched)',
    reason: 'berth build has not landed',
  },
  { title: 'compose up -d / no-op up -d / down of 10 services', reason: 'berth compose has not landed' },
];
