// Row contexts for `images` and `history` output: the fields docker's
// formatter exposes to --format templates, their column headers and their
// JSON form (cli/command/formatter/image.go, image/formatter_history.go).
import { parseReference, familiarName } from '../image/reference.js';
import { marshalJson } from './format/table.js';
import { GO_TYPE } from './format/template.js';
import { humanDuration, humanSize, truncateId } from './format/units.js';

/** Go's time.Time.String() in local time: "2026-11-28 04:02:36 +0000 UTC". */
export function goTimeString(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const off = -d.getTimezoneOffset();
  const l = new Date(d.getTime() + off * 60_000);
  const p = (n: number): string => String(n).padStart(2, '0');
  const sign = off < 0 ? '-' : '+';
  const zoneName =
    off === 0
      ? 'UTC'
      : (new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
          .formatToParts(d)
          .find((x) => x.type === 'timeZoneName')?.value ?? '');
  return (
    `${l.getUTCFullYear()}-${p(l.getUTCMonth() + 1)}-${p(l.getUTCDate())} ` +
    `${p(l.getUTCHours())}:${p(l.getUTCMinutes())}:${p(l.getUTCSeconds())} ` +
    `${sign}${p(Math.trunc(Math.abs(off) / 60))}${p(Math.abs(off) % 60)} ${zoneName}`
  );
}

/** time.RFC3339 in local time ("2026-11-28T04:02:36Z"). */
export function goRFC3339(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const off = -d.getTimezoneOffset();
  const l = new Date(d.getTime() + off * 60_000).toISOString().slice(0, 19);
  if (off === 0) return l + 'Z';
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${l}${off < 0 ? '-' : '+'}${p(Math.trunc(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
}

export interface ImageSummary {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created: number;
  Size: number;
  SharedSize?: number;
  VirtualSize?: number;
  Containers?: number;
  Labels?: Record<string, string> | null;
}

export const IMAGE_HEADERS = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'VIRTUAL SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

export class ImageRow {
  readonly [GO_TYPE] = '*formatter.imageContext';
  constructor(
    private readonly i: ImageSummary,
    readonly Repository: string,
    readonly Tag: string,
    readonly Digest: string,
    private readonly trunc: boolean,
  ) {}
  get ID(): string {
    return this.trunc ? truncateId(this.i.Id) : this.i.Id;
  }
  get CreatedSince(): string {
    return humanDuration(Date.now() - this.i.Created * 1000) + ' ago';
  }
  get CreatedAt(): string {
    return goTimeString(this.i.Created);
  }
  get Size(): string {
    return humanSize(this.i.Size, 3);
  }
  get Containers(): string {
    return this.i.Containers === undefined || this.i.Containers === -1 ? 'N/A' : String(this.i.Containers);
  }
  get VirtualSize(): string {
    return humanSize(this.i.VirtualSize ?? this.i.Size, 4); // docker fills it in for API ≥ 1.44
  }
  get SharedSize(): string {
    return this.i.SharedSize === undefined || this.i.SharedSize === -1
      ? 'N/A'
      : humanSize(this.i.SharedSize, 3);
  }
  get UniqueSize(): string {
    const shared = this.i.SharedSize ?? -1;
    return this.i.Size === -1 || shared === -1 ? 'N/A' : humanSize(this.i.Size - shared, 3);
  }
  toGoJSON(): string {
    const o: Record<string, string> = {};
    for (const k of Object.keys(IMAGE_HEADERS).sort()) o[k] = (this as unknown as Record<string, string>)[k];
    return marshalJson(o);
  }
}

function isDangling(img: ImageSummary): boolean {
  const tags = img.RepoTags ?? [];
  const digests = img.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return (
    tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>'
  );
}

/** One row per repository:tag (and per digest with --digests), as docker's imageFormat. */
export function imageRows(images: ImageSummary[], opts: { trunc: boolean; digests: boolean }): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const img of images) {
    if (isDangling(img)) {
      rows.push(new ImageRow(img, '<none>', '<none>', '<none>', opts.trunc));
      continue;
    }
    const repoTags = new Map<string, string[]>();
    const repoDigests = new Map<string, string[]>();
    for (const s of img.RepoTags ?? []) {
      try {
        const ref = parseReference(s);
        if (ref.tag) repoTags.set(familiarName(ref), [...(repoTags.get(familiarName(ref)) ?? []), ref.tag]);
      } catch {
        /* docker skips references it cannot parse */
      }
    }
    for (const s of img.RepoDigests ?? []) {
      try {
        const ref = parseReference(s);
        if (ref.digest)
          repoDigests.set(familiarName(ref), [...(repoDigests.get(familiarName(ref)) ?? []), ref.digest]);
      } catch {
        /* skipped */
      }
    }
    for (const [repo, tags] of repoTags) {
      const digests = opts.digests ? (repoDigests.get(repo) ?? []) : [];
      repoDigests.delete(repo);
      for (const tag of tags) {
        if (!digests.length) rows.push(new ImageRow(img, repo, tag, '<none>', opts.trunc));
        else for (const d of digests) rows.push(new ImageRow(img, repo, tag, d, opts.trunc));
      }
    }
    for (const [repo, digests] of repoDigests) {
      if (opts.digests) for (const d of digests) rows.push(new ImageRow(img, repo, '<none>', d, opts.trunc));
      else rows.push(new ImageRow(img, repo, '<none>', '', opts.trunc));
    }
  }
  return rows;
}

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags?: string[] | null;
  Size: number;
  Comment: string;
}

export const HISTORY_HEADERS = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

/** stringutils.Ellipsis: cut to `max` runes, the last three being "...". */
function ellipsis(s: string, max: number): string {
  const r = [...s];
  if (r.length <= max) return s;
  if (max <= 3) return r.slice(0, max).join('');
  return r.slice(0, max - 3).join('') + '...';
}

export class HistoryRow {
  readonly [GO_TYPE] = '*image.historyContext';
  constructor(
    private readonly h: HistoryItem,
    private readonly trunc: boolean,
    private readonly human: boolean,
  ) {}
  get ID(): string {
    return this.trunc && this.h.Id !== '<missing>' ? truncateId(this.h.Id) : this.h.Id;
  }
  get CreatedAt(): string {
    return goRFC3339(this.h.Created);
  }
  get CreatedSince(): string {
    if (!this.human) return this.CreatedAt;
    return humanDuration(Date.now() - this.h.Created * 1000) + ' ago';
  }
  get CreatedBy(): string {
    const by = this.h.CreatedBy.replace(/\t/g, ' ');
    return this.trunc ? ellipsis(by, 45) : by;
  }
  get Size(): string {
    return this.human ? humanSize(this.h.Size, 3) : String(this.h.Size);
  }
  get Comment(): string {
    return this.h.Comment;
  }
  toGoJSON(): string {
    const o: Record<string, string> = {};
    for (const k of Object.keys(HISTORY_HEADERS).sort())
      o[k] = (this as unknown as Record<string, string>)[k];
    return marshalJson(o);
  }
}
