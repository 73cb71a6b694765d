// berth's packet-filter rules. They live in berth's own chains (nat BERTH,
// BERTH-POSTROUTING; filter BERTH-FORWARD, BERTH-ISOLATION-STAGE-1/2), jumped
// to from the built-in chains, so Docker's chains are never touched. Every
// rule carries a comment "berth:<engine>:<key>" naming its owner (a network
// or a container), which is how a rule set is removed or reconciled after a
// crash without guessing from the rule text.
import path from 'node:path';
import { run } from './exec.js';
import { NET_STATE_DIR, withHostLock } from './host-lock.js';

export type Table = 'nat' | 'filter';

export interface Rule {
  table: Table;
  chain: string;
  /** iptables arguments after `-A <chain>`, without the comment. */
  args: string;
}

const CHAINS: [Table, string][] = [
  ['nat', 'BERTH'],
  ['nat', 'BERTH-POSTROUTING'],
  ['filter', 'BERTH-FORWARD'],
  ['filter', 'BERTH-ISOLATION-STAGE-1'],
  ['filter', 'BERTH-ISOLATION-STAGE-2'],
];

/** Jumps from built-in chains (and the isolation entry point), inserted first. */
const JUMPS: [Table, string, string][] = [
  ['nat', 'PREROUTING', '-m addrtype --dst-type LOCAL -j BERTH'],
  ['nat', 'OUTPUT', '-m addrtype --dst-type LOCAL -j BERTH'],
  ['nat', 'POSTROUTING', '-j BERTH-POSTROUTING'],
  ['filter', 'FORWARD', '-j BERTH-FORWARD'],
  ['filter', 'BERTH-FORWARD', '-j BERTH-ISOLATION-STAGE-1'],
];

const CHAINS_LOCK = path.join(NET_STATE_DIR, 'chains.lock');

const iptables = (args: string[]): Promise<string> => run('iptables', ['-w', ...args]);

export class Firewall {
  constructor(
    /** Short engine tag so several berthd on one host never remove each other's rules. */
    private readonly tag: string,
  ) {}

  comment(key: string): string {
    return `berth:${this.tag}:${key}`;
  }

  /**
   * Creates berth's chains and jumps when missing (idempotent). Under a host
   * lock so berthds starting together add each jump once; retried because a
   * berthd stopping at that moment may take the chains away between steps.
   */
  async ensureChains(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await withHostLock(CHAINS_LOCK, () => this.ensureChainsOnce());
      } catch (e) {
        if (attempt >= 3) throw e;
      }
    }
  }

  private async ensureChainsOnce(): Promise<void> {
    for (const [t, c] of CHAINS) await iptables(['-t', t, '-N', c]).catch(() => undefined);
    for (const [t, c, rule] of JUMPS) {
      const a = rule.split(' ');
      const present = await iptables(['-t', t, '-C', c, ...a]).then(
        () => true,
        () => false,
      );
      if (!present) await iptables(['-t', t, '-I', c, '1', ...a]);
    }
  }

  /** Adds a rule set under one owner key, in one iptables-restore transaction per table. */
  async add(key: string, rules: Rule[]): Promise<void> {
    const lines = rules.map((r) => ({
      table: r.table,
      line: `-A ${r.chain} ${r.args} -m comment --comment ${this.comment(key)}`,
    }));
    // Table by table: a berthd that stopped just now may have removed the
    // (then empty) chains; make them again and retry only the table that failed.
    for (const table of ['nat', 'filter'] as Table[]) {
      const mine = lines.filter((l) => l.table === table);
      await this.restore(mine).catch(async () => {
        await this.ensureChains();
        await this.restore(mine);
      });
    }
  }

  /** Removes rules we know we added under `key`; falls back to a scan if any is missing. */
  async removeKnown(key: string, rules: Rule[]): Promise<void> {
    const lines = rules.map((r) => ({
      table: r.table,
      line: `-D ${r.chain} ${r.args} -m comment --comment ${this.comment(key)}`,
    }));
    await this.restore(lines).catch(() => this.remove(key));
  }

  /** Removes every rule of ours carrying `key` (or, with no key, all of ours). */
  async remove(key?: string): Promise<void> {
    const owned = await this.ownedRules();
    const lines = owned
      .filter((r) => key === undefined || r.key === key)
      .map((r) => ({ table: r.table, line: r.line.replace(/^-A /, '-D ') }));
    await this.restore(lines);
  }

  /** Keys that currently have at least one rule. */
  async keys(): Promise<Set<string>> {
    return new Set((await this.ownedRules()).map((r) => r.key));
  }

  /** Our rules as iptables-save prints them, with their owner key. */
  async ownedRules(): Promise<{ table: Table; line: string; key: string }[]> {
    const out: { table: Table; line: string; key: string }[] = [];
    const prefix = `berth:${this.tag}:`;
    for (const table of ['nat', 'filter'] as Table[]) {
      const text = await run('iptables-save', ['-t', table]).catch(() => '');
      for (const line of text.split('\n')) {
        const m = /--comment "?([^" ]+)"?/.exec(line);
        if (line.startsWith('-A ') && m && m[1].startsWith(prefix))
          out.push({ table, line, key: m[1].slice(prefix.length) });
      }
    }
    return out;
  }

  /**
   * Once nothing of any berthd is left in them, the shared chains and jumps go
   * too. One iptables-restore transaction per table deletes the jumps and the
   * chains: a chain another berthd has put a rule in since cannot be deleted,
   * which aborts the whole transaction, so a starting berthd never loses its
   * rules to a stopping one (a check-then-flush would take them).
   */
  async removeChainsIfUnused(): Promise<void> {
    await withHostLock(CHAINS_LOCK, async () => {
      for (const table of ['filter', 'nat'] as Table[]) {
        const text = await run('iptables-save', ['-t', table]).catch(() => '');
        if (text.split('\n').some((l) => l.includes('--comment') && /berth:/.test(l))) return;
        const ours = CHAINS.filter(([t]) => t === table).map(([, c]) => c);
        const jumps = text
          .split('\n')
          .filter((l) => l.startsWith('-A ') && ours.some((c) => l.endsWith(` -j ${c}`)))
          .map((l) => l.replace(/^-A /, '-D '));
        const present = ours.filter((c) => text.includes(`:${c} `));
        const lines = [...jumps, ...present.map((c) => `-X ${c}`)];
        if (lines.length === 0) continue;
        await run('iptables-restore', ['-w', '--noflush'], `*${table}\n${lines.join('\n')}\nCOMMIT\n`).catch(
          () => undefined,
        );
      }
    });
  }

  private async restore(lines: { table: Table; line: string }[]): Promise<void> {
    for (const table of ['nat', 'filter'] as Table[]) {
      const mine = lines.filter((l) => l.table === table).map((l) => l.line);
      if (mine.length === 0) continue;
      await run('iptables-restore', ['-w', '--noflush'], `*${table}\n${mine.join('\n')}\nCOMMIT\n`);
    }
  }
}

export interface NetworkRuleInput {
  bridge: string;
  subnet: string;
  internal: boolean;
  ipMasq: boolean;
  icc: boolean;
}

/** A bridge network's rules: outbound NAT, forwarding, isolation from the other bridges. */
export function networkRules(n: NetworkRuleInput): Rule[] {
  const br = n.bridge;
  const rules: Rule[] = [
    { table: 'nat', chain: 'BERTH-POSTROUTING', args: `-s 127.0.0.0/8 -o ${br} -j MASQUERADE` },
    {
      table: 'filter',
      chain: 'BERTH-ISOLATION-STAGE-1',
      args: `-i ${br} ! -o ${br} -j BERTH-ISOLATION-STAGE-2`,
    },
    { table: 'filter', chain: 'BERTH-ISOLATION-STAGE-2', args: `-o ${br} -j DROP` },
    { table: 'filter', chain: 'BERTH-FORWARD', args: `-i ${br} -o ${br} -j ${n.icc ? 'ACCEPT' : 'DROP'}` },
  ];
  if (n.internal) {
    rules.push(
      { table: 'filter', chain: 'BERTH-FORWARD', args: `-i ${br} ! -o ${br} -j DROP` },
      { table: 'filter', chain: 'BERTH-FORWARD', args: `! -i ${br} -o ${br} -j DROP` },
    );
    return rules;
  }
  if (n.ipMasq)
    rules.push({ table: 'nat', chain: 'BERTH-POSTROUTING', args: `-s ${n.subnet} ! -o ${br} -j MASQUERADE` });
  rules.push(
    {
      table: 'filter',
      chain: 'BERTH-FORWARD',
      args: `-o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    },
    { table: 'filter', chain: 'BERTH-FORWARD', args: `-i ${br} ! -o ${br} -j ACCEPT` },
  );
  return rules;
}

export interface PortRuleInput {
  bridge: string;
  containerIp: string;
  proto: string;
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

/** DNAT for traffic to the host's addresses (incl. 127.0.0.1 via route_localnet), hairpin NAT, forward accept. */
export function portRules(p: PortRuleInput): Rule[] {
  const dst = p.hostIp && p.hostIp !== '0.0.0.0' ? `-d ${p.hostIp}/32 ` : '';
  return [
    {
      table: 'nat',
      chain: 'BERTH',
      args: `${dst}-p ${p.proto} -m ${p.proto} --dport ${p.hostPort} -j DNAT --to-destination ${p.containerIp}:${p.containerPort}`,
    },
    {
      table: 'nat',
      chain: 'BERTH-POSTROUTING',
      args: `-s ${p.containerIp}/32 -d ${p.containerIp}/32 -p ${p.proto} -m ${p.proto} --dport ${p.containerPort} -j MASQUERADE`,
    },
    {
      table: 'filter',
      chain: 'BERTH-FORWARD',
      args: `-d ${p.containerIp}/32 ! -i ${p.bridge} -o ${p.bridge} -p ${p.proto} -m ${p.proto} --dport ${p.containerPort} -j ACCEPT`,
    },
  ];
}
