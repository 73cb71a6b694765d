// API versions are data: the range berth serves, and comparisons used by
// handlers where Docker's behaviour changed between versions.

export const API_VERSION = '1.51';
export const MIN_API_VERSION = '1.24';

function parts(v: string): [number, number] {
  const [a, b] = v.split('.').map((n) => Number.parseInt(n, 10));
  return [a || 0, b || 0];
}

export function compareVersions(a: string, b: string): number {
  const [a1, a2] = parts(a);
  const [b1, b2] = parts(b);
  return a1 !== b1 ? a1 - b1 : a2 - b2;
}

export const gte = (v: string, other: string): boolean => compareVersions(v, other) >= 0;
export const lt = (v: string, other: string): boolean => compareVersions(v, other) < 0;

/** Docker's messages for versions outside the served range, or null when fine. */
export function versionError(v: string): string | null {
  if (compareVersions(v, API_VERSION) > 0)
    return `client version ${v} is too new. Maximum supported API version is ${API_VERSION}`;
  if (compareVersions(v, MIN_API_VERSION) < 0)
    return `client version ${v} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`;
  return null;
}
