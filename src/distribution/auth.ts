// Registry authentication: the `WWW-Authenticate` challenge, Basic auth, and
// the Bearer token flow Docker Hub, GHCR and distribution's `auth: token` use
// (GET <realm>?service=…&scope=… with Basic credentials, or a POST with an
// identity token), tokens cached per scope until they expire.

/** Docker's AuthConfig as the CLI sends it in X-Registry-Auth and POST /auth. */
export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (several challenges allowed). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = Array.isArray(header) ? header : header ? [header] : [];
  const out: Challenge[] = [];
  for (const value of values) {
    const re = /\s*([A-Za-z][A-Za-z0-9_-]*)\s*(?:(?=,|$)|\s+)/y;
    let pos = 0;
    while (pos < value.length) {
      re.lastIndex = pos;
      const m = re.exec(value);
      if (!m) break;
      const ch: Challenge = { scheme: m[1].toLowerCase(), params: {} };
      pos = re.lastIndex;
      const param = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(,?)/y;
      for (;;) {
        param.lastIndex = pos;
        const p = param.exec(value);
        if (!p) break;
        ch.params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
        pos = param.lastIndex;
        if (!p[4]) break;
      }
      out.push(ch);
      while (pos < value.length && /[\s,]/.test(value[pos])) pos++;
    }
  }
  return out;
}

/** Username and password from an AuthConfig (`auth` is base64 user:pass). */
export function basicCredentials(a: AuthConfig | undefined): { username: string; password: string } | null {
  if (!a) return null;
  if (a.username || a.password) return { username: a.username ?? '', password: a.password ?? '' };
  if (a.auth) {
    const text = Buffer.from(a.auth, 'base64').toString('utf8');
    const i = text.indexOf(':');
    if (i > 0) return { username: text.slice(0, i), password: text.slice(i + 1) };
  }
  return null;
}

export function basicHeader(user: string, pass: string): string {
  return 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
}

/** Decodes the X-Registry-Auth header (base64url JSON; `{}` or empty = anonymous). */
export function decodeRegistryAuth(header: string | undefined): AuthConfig | undefined {
  if (!header) return undefined;
  try {
    const json = Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    const v = JSON.parse(json) as AuthConfig;
    return v && typeof v === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}

export function encodeRegistryAuth(a: AuthConfig): string {
  return Buffer.from(JSON.stringify(a)).toString('base64url');
}

/** Scope strings: `repository:library/busybox:pull`, `…:pull,push`. */
export function repositoryScope(path: string, actions: string[]): string {
  return `repository:${path}:${actions.join(',')}`;
}
