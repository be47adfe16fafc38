// The compiled, immutable policy: every list merged into one packed name table, plus IP, URL and
// regex rules, and the client groups. Built off the serving path by PolicyStore; asked on every query.
import type {
  BlockMatch,
  Explanation,
  ListSummary,
  PolicySnapshot,
  RuleRef,
  UrlTarget,
} from '../snapshot.ts';
import { NameTable, EXACT, SUBONLY, ALLOW, resetHash, pushChar, hiOf, loOf } from '../match/name-table.ts';
import { A_SEED, B_SEED, stepA, stepB, keyHi, keyLo } from '../match/name-hash.ts';
import { IpTable } from '../match/ip-table.ts';
import { urlRuleMatches, decodePath, type UrlRuleSpec } from '../match/url-rule.ts';
import { Rule, type ListMeta } from './list-meta.ts';
import { Groups, type GroupSpec } from './groups.ts';

interface CompiledRule<T> {
  readonly value: T;
  readonly list: number;
  readonly rule: Rule;
}

/** Block matches kept for reuse, so a repeated block allocates nothing; bounded. */
const MATCH_CACHE_MAX = 100_000;

/** Outcome of the name search before it becomes a BlockMatch. */
const NONE = -1;
const ALLOWED = -2;

export class CompiledPolicy implements PolicySnapshot {
  readonly generation: number;
  readonly lists_: readonly ListMeta[];
  readonly groups: Groups;
  private readonly names: NameTable;
  private readonly regexes: CompiledRule<RegExp>[] = [];
  private readonly urls: CompiledRule<UrlRuleSpec>[] = [];
  private readonly urlsByHost = new Map<string, CompiledRule<UrlRuleSpec>[]>();
  private readonly urlsAnyHost: CompiledRule<UrlRuleSpec>[] = [];
  private readonly ips: CompiledRule<string>[] = [];
  private readonly ipTable: IpTable;
  private readonly ipFound = new Int32Array(256);
  private readonly matchCache = new Map<number, BlockMatch>();
  /** Per list index: 1 for an allow source (every rule in it is an exception). */
  private readonly allowList: Uint8Array;
  /** Position in the name where the last name search found its block (for the rule text). */
  private lastPos = 0;

  constructor(generation: number, lists: readonly ListMeta[], groups: readonly GroupSpec[]) {
    this.generation = generation;
    this.lists_ = lists;
    this.groups = new Groups(groups, lists);
    this.allowList = Uint8Array.from(lists, (l) => (l.allowSource ? 1 : 0));
    this.names = new NameTable(lists.map((l, i) => ({ builder: l.parsed.names, list: i })));
    lists.forEach((meta, li) => {
      const p = meta.parsed;
      for (const r of p.regexes) {
        const allow = r.allow || meta.allowSource;
        this.regexes.push({ value: r.value, list: li, rule: new Rule(meta, r.line, r.text, allow) });
      }
      for (const r of p.urls) {
        const allow = r.allow || meta.allowSource;
        const c = { value: r.value, list: li, rule: new Rule(meta, r.line, r.text, allow) };
        this.urls.push(c);
        if (r.value.hostKind === 'any') this.urlsAnyHost.push(c);
        else {
          let a = this.urlsByHost.get(r.value.host);
          if (!a) this.urlsByHost.set(r.value.host, (a = []));
          a.push(c);
        }
      }
      for (const r of p.ips) {
        const allow = r.allow || meta.allowSource;
        this.ips.push({ value: r.value, list: li, rule: new Rule(meta, r.line, r.text, allow) });
      }
    });
    this.ipTable = new IpTable(this.ips.map((r) => r.value));
  }

  groupOf(client: string): string {
    return this.groups.names[this.groups.indexOf(client)];
  }

  // ---- names (hot path) ----

  matchName(name: string, client: string): BlockMatch | null {
    const g = this.groups.indexOf(client);
    const e = this.searchName(name, g);
    if (e >= 0) return this.nameMatch(e, name, g);
    if (e === ALLOWED || this.regexes.length === 0) return null;
    return this.searchRegex(name, g);
  }

  /**
   * Hashes each suffix of `name` right to left and looks it up: the most specific block entry id,
   * ALLOWED when an exception matched (an allow wins over any block), or NONE. No allocation.
   */
  private searchName(name: string, g: number): number {
    const applies = this.groups.applies[g];
    const t = this.names;
    const size = t.size;
    if (size === 0) return NONE;
    const keys = t.keys;
    const bucket = t.bucket;
    let end = name.length;
    if (end > 0 && name.charCodeAt(end - 1) === 46) end--;
    // Hash state in locals: an object field holding a 32-bit value outside the small-integer range
    // is boxed by V8, which made a lookup cost ~1.5 µs here instead of ~0.2 µs.
    let a = A_SEED;
    let b = B_SEED;
    let best = NONE;
    for (let i = end - 1; i >= -1; i--) {
      let c = i >= 0 ? name.charCodeAt(i) : 46;
      if (c === 46) {
        const len = end - i - 1;
        if (len > 0) {
          const hi = keyHi(a, len);
          const lo = keyLo(b, len);
          const key = hi * 4294967296 + lo;
          let lb = bucket[hi >>> 5];
          let ub = bucket[(hi >>> 5) + 1];
          while (lb < ub) {
            const m = (lb + ub) >>> 1;
            if (keys[m] < key) lb = m + 1;
            else ub = m;
          }
          const atStart = i === -1;
          for (let p = lb; p < size && keys[p] === key; p++) {
            const e = t.ent[p];
            const list = t.listOf(e);
            if (applies[list] === 0) continue;
            const f = t.flagsOf(e, list);
            if ((f & EXACT) !== 0 && !atStart) continue;
            if ((f & SUBONLY) !== 0 && atStart) continue;
            if ((f & ALLOW) !== 0 || this.allowList[list] === 1) return ALLOWED;
            best = e; // later suffixes are longer: the last block found is the most specific
            this.lastPos = i + 1;
          }
        }
        if (i < 0) break;
      }
      if (c >= 65 && c <= 90) c |= 32;
      a = stepA(a, c);
      b = stepB(b, c);
    }
    return best;
  }

  private searchRegex(name: string, g: number): BlockMatch | null {
    const applies = this.groups.applies[g];
    let found: CompiledRule<RegExp> | null = null;
    for (const r of this.regexes) {
      if (applies[r.list] === 0 || !r.value.test(name)) continue;
      if (r.rule.allow) return null;
      found ??= r;
    }
    return found ? this.cachedMatch(this.names.size + this.regexes.indexOf(found), found.rule, g) : null;
  }

  private nameMatch(e: number, name: string, g: number): BlockMatch {
    const key = e * this.groups.names.length + g;
    const cached = this.matchCache.get(key);
    if (cached) return cached;
    const t = this.names;
    const list = t.listOf(e);
    const meta = this.lists_[list];
    const rule = new Rule(
      meta,
      t.lineOf(e, list),
      ruleText(t.flagsOf(e, list), name.slice(this.lastPos).toLowerCase()),
      false,
    );
    return this.remember(key, { rule, group: this.groups.names[g] });
  }

  private cachedMatch(id: number, rule: RuleRef, g: number): BlockMatch {
    const key = id * this.groups.names.length + g;
    return this.matchCache.get(key) ?? this.remember(key, { rule, group: this.groups.names[g] });
  }

  private remember(key: number, m: BlockMatch): BlockMatch {
    if (this.matchCache.size >= MATCH_CACHE_MAX) this.matchCache.clear();
    this.matchCache.set(key, m);
    return m;
  }

  // ---- IP addresses ----

  matchIp(address: string, client: string): BlockMatch | null {
    if (this.ips.length === 0) return null;
    return this.matchIpInGroup(address, this.groups.indexOf(client));
  }

  private matchIpInGroup(address: string, g: number): BlockMatch | null {
    const applies = this.groups.applies[g];
    const n = this.ipTable.collect(address, this.ipFound);
    let found = -1;
    for (let i = 0; i < n; i++) {
      const id = this.ipFound[i];
      const r = this.ips[id];
      if (applies[r.list] === 0) continue;
      if (r.rule.allow) return null;
      if (found < 0) found = id;
    }
    if (found < 0) return null;
    const id = this.names.size + this.regexes.length + this.urls.length + found;
    return this.cachedMatch(id, this.ips[found].rule, g);
  }

  // ---- URLs (proxy) ----

  matchUrl(target: UrlTarget, client: string): BlockMatch | null {
    const g = this.groups.indexOf(client);
    const host = target.host;
    const e = this.searchName(host, g);
    if (e >= 0) return this.nameMatch(e, host, g);
    if (e === ALLOWED) return null;
    const byRegex = this.regexes.length > 0 ? this.searchRegex(host, g) : null;
    if (byRegex) return byRegex;
    if (this.ips.length > 0 && (host.includes(':') || /^\d+\.\d+\.\d+\.\d+$/.test(host))) {
      const byIp = this.matchIpInGroup(host.replace(/^\[|\]$/g, ''), g);
      if (byIp) return byIp;
    }
    if (this.urls.length === 0) return null;
    const candidates = this.urlCandidates(host);
    if (candidates.length === 0) return null;
    const path = decodePath(target.path);
    const applies = this.groups.applies[g];
    let found: CompiledRule<UrlRuleSpec> | null = null;
    for (const r of candidates) {
      if (applies[r.list] === 0 || !urlRuleMatches(r.value, path, target.query)) continue;
      if (r.rule.allow) return null;
      found ??= r;
    }
    if (!found) return null;
    return this.cachedMatch(this.names.size + this.regexes.length + this.urls.indexOf(found), found.rule, g);
  }

  private urlCandidates(host: string): CompiledRule<UrlRuleSpec>[] {
    const out: CompiledRule<UrlRuleSpec>[] = [...this.urlsAnyHost];
    for (let i = 0; ;) {
      const rules = this.urlsByHost.get(i === 0 ? host : host.slice(i));
      if (rules) for (const r of rules) if (r.value.hostKind === 'suffix' || i === 0) out.push(r);
      const dot = host.indexOf('.', i);
      if (dot < 0) return out;
      i = dot + 1;
    }
  }

  // ---- slow paths ----

  explain(name: string, client: string): Explanation {
    const g = this.groups.indexOf(client);
    const lower = name.toLowerCase().replace(/\.$/, '');
    const applies = this.groups.applies[g];
    const blockRules: Rule[] = [];
    const allowRules: Rule[] = [];
    const add = (r: Rule) => (r.allow ? allowRules : blockRules).push(r);
    // Every suffix, every entry (not only the first): explain lists all rules that matched.
    const t = this.names;
    for (let i = 0; ;) {
      const suffix = lower.slice(i);
      const h = { a: 0, b: 0 };
      resetHash(h);
      for (let k = suffix.length - 1; k >= 0; k--) pushChar(h, suffix.charCodeAt(k));
      const hi = hiOf(h, suffix.length);
      const lo = loOf(h, suffix.length);
      const key = hi * 4294967296 + lo;
      for (let p = t.lowerBound(hi, lo); p < t.size && t.keys[p] === key; p++) {
        const e = t.ent[p];
        const list = t.listOf(e);
        const f = t.flagsOf(e, list);
        if (applies[list] === 0) continue;
        if ((f & EXACT) !== 0 && i !== 0) continue;
        if ((f & SUBONLY) !== 0 && i === 0) continue;
        const meta = this.lists_[list];
        add(new Rule(meta, t.lineOf(e, list), ruleText(f, suffix), (f & ALLOW) !== 0 || meta.allowSource));
      }
      const dot = lower.indexOf('.', i);
      if (dot < 0) break;
      i = dot + 1;
    }
    for (const r of this.regexes) if (applies[r.list] && r.value.test(lower)) add(r.rule);
    const n = this.ipTable.collect(lower.replace(/^\[|\]$/g, ''), this.ipFound);
    for (let i = 0; i < n; i++) {
      const r = this.ips[this.ipFound[i]];
      if (applies[r.list]) add(r.rule);
    }
    // The deciding block rule is the most specific one, as matchName picks it.
    blockRules.sort((a, b) => b.rule.length - a.rule.length);
    const blocked = blockRules.length > 0 && allowRules.length === 0;
    return {
      name: lower,
      client,
      group: this.groups.names[g],
      blocked,
      ...(blocked ? { decidingRule: blockRules[0] } : {}),
      blockRules,
      allowRules,
    };
  }

  lists(): readonly ListSummary[] {
    return this.lists_.map((l) => ({
      name: l.name,
      app: l.app,
      category: l.category,
      source: l.source,
      entries: l.parsed.entries,
      badLines: l.parsed.badCount,
      refreshInterval: l.refreshInterval,
    }));
  }

  ipRules(): readonly { readonly cidr: string; readonly rule: RuleRef }[] {
    return this.ips.filter((r) => !r.rule.allow).map((r) => ({ cidr: r.value, rule: r.rule }));
  }

  /** URL rules, for tools that print the policy (`explain`, the PAC file). */
  urlRules(): readonly RuleRef[] {
    return this.urls.map((r) => r.rule);
  }
}

function ruleText(flags: number, name: string): string {
  const base = (flags & EXACT) !== 0 ? `=${name}` : (flags & SUBONLY) !== 0 ? `*.${name}` : name;
  return (flags & ALLOW) !== 0 ? `@@${base}` : base;
}
