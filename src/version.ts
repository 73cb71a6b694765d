// The berth release, shown by `berth version` and `/version`.
export const BERTH_VERSION = '0.1.0';
export const GIT_COMMIT = process.env.BERTH_GIT_COMMIT ?? 'unknown';
