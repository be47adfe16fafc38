// The compiled, immutable policy: every list merged into one packed name table, plus IP, URL and
// regex rules, and the client groups. Built off the serving path by PolicyStore; asked on every query.
//
// Every decision (name, IP, URL) is made by one function per kind, with an optional recorder of the
// rules it passes: the resolver and the proxy call it with null (no allocation), `explain` with a
// RuleTrace, so the two cannot disagree (they once did: an allow regex lost to a name block in DNS
// while `explain` said ALLOWED).
//
// Monitor (dry-run) lists: each decision takes the mask of lists it applies. The enforcing calls pass
// the group's `enforced` mask (monitored lists left out, as if absent); the `monitored*` calls run the
// same decision with every list of the group and report the match only when its rule is a monitored
// one. With no monitored list they return null at once, so the hot path is unchanged.
import { isIP } from 'node:net';
import type {
  BlockMatch,
  Explanation,
  ListSummary,
  PolicySnapshot,
  RuleRef,
  UrlTarget,
} from '../snapshot.ts';
import { NameTable, EXACT, SUBONLY, ALLOW, FLAG_BITS, FLAG_MASK } from '../match/name-table.ts';
import { A_SEED, B_SEED, stepA, stepB, keyHi, keyLo } from '../match/name-hash.ts';
import { RECORD_WORDS } from '../match/name-index.ts';
import type { LinearRegex } from '../match/name-regex.ts';
import { ruleOf, type Rule, type ListMeta } from './list-meta.ts';
import { Groups, type GroupSpec } from './groups.ts';
import { EntryStart, RuleTrace, type RuleRecorder } from './rule-trace.ts';
import { EXCEPTION, type CompiledRule, type RuleVerdict, type Verdict } from './compiled-rule.ts';
import { IpRules } from './ip-rules.ts';
import { UrlRules } from './url-rules.ts';
import { RegexRules } from './regex-rules.ts';

/** Block matches kept for reuse, so a repeated block allocates nothing; bounded. */
const MATCH_CACHE_MAX = 100_000;

/** Outcome of the name search before it becomes a BlockMatch. */
const NONE = -1;
const ALLOWED = -2;

export class CompiledPolicy implements PolicySnapshot {
  readonly generation: number;
  readonly lists_: readonly ListMeta[];
  readonly groups: Groups;
  readonly names: NameTable;
  /** Regex rules, exceptions and blocks apart (an exception wins over any block, so it is tried first). */
  private readonly allowRegexes: RegexRules;
  private readonly blockRegexes: RegexRules;
  private readonly urls = new UrlRules();
  private readonly ips: IpRules;
  private readonly matchCache = new Map<number, BlockMatch>();
  /** Per list index: 1 for an allow source (every rule in it is an exception). */
  private readonly allowList: Uint8Array;

  /**
   * `names`: the table of every list's names, built here when not given (small policies); a reload
   * builds it in the compile worker, a start may take it from the policy snapshot file.
   */
  constructor(
    generation: number,
    lists: readonly ListMeta[],
    groups: readonly GroupSpec[],
    names: NameTable = NameTable.build(lists.map((l) => l.parsed.names)),
  ) {
    this.generation = generation;
    this.lists_ = lists;
    this.groups = new Groups(groups, lists);
    this.allowList = Uint8Array.from(lists, (l) => (l.allowSource ? 1 : 0));
    this.names = names;
    let id = this.names.size;
    const compiled = <T>(
      meta: ListMeta,
      li: number,
      r: { value: T; allow: boolean; line: number; text: string },
    ) => {
      const rule = ruleOf(meta, r.line, r.text, r.allow || meta.allowSource);
      return { value: r.value, list: li, rule, id: id++ };
    };
    const allowRegexes: CompiledRule<LinearRegex>[] = [];
    const blockRegexes: CompiledRule<LinearRegex>[] = [];
    lists.forEach((meta, li) => {
      for (const r of meta.parsed.regexes) {
        const c = compiled(meta, li, r);
        (c.rule.allow ? allowRegexes : blockRegexes).push(c);
      }
    });
    this.allowRegexes = new RegexRules(allowRegexes);
    this.blockRegexes = new RegexRules(blockRegexes);
    lists.forEach((meta, li) => {
      for (const r of meta.parsed.urls) this.urls.add(compiled(meta, li, r));
    });
    const ips: CompiledRule<string>[] = [];
    lists.forEach((meta, li) => {
      for (const r of meta.parsed.ips) ips.push(compiled(meta, li, r));
    });
    this.ips = new IpRules(ips);
  }

  groupOf(client: string): string {
    return this.groups.names[this.groups.indexOf(client)];
  }

  matchName(name: string, client: string): BlockMatch | null {
    const g = this.groups.indexOf(client);
    const v = this.decideName(name, g, this.groups.enforced[g], null);
    return v === EXCEPTION ? null : v;
  }

  matchIp(address: string, client: string): BlockMatch | null {
    if (this.ips.size === 0) return null;
    const g = this.groups.indexOf(client);
    const v = this.decideIp(address, g, this.groups.enforced[g], null);
    return v === EXCEPTION ? null : v;
  }

  matchUrl(target: UrlTarget, client: string): BlockMatch | null {
    const g = this.groups.indexOf(client);
    const v = this.decideUrl(target, g, this.groups.enforced[g], null);
    return v === EXCEPTION ? null : v;
  }

  monitoredName(name: string, client: string): BlockMatch | null {
    if (!this.groups.monitoring) return null;
    const g = this.groups.indexOf(client);
    return monitoredOnly(this.decideName(name, g, this.groups.applies[g], null));
  }

  monitoredIp(address: string, client: string): BlockMatch | null {
    if (!this.groups.monitoring || this.ips.size === 0) return null;
    const g = this.groups.indexOf(client);
    return monitoredOnly(this.decideIp(address, g, this.groups.applies[g], null));
  }

  monitoredUrl(target: UrlTarget, client: string): BlockMatch | null {
    if (!this.groups.monitoring) return null;
    const g = this.groups.indexOf(client);
    return monitoredOnly(this.decideUrl(target, g, this.groups.applies[g], null));
  }

  /**
   * The decision `matchName` (or, for an IP literal, `matchIp`; with `target`, `matchUrl`) makes,
   * made by the same code, with every rule it passed.
   */
  explain(name: string, client: string, target?: UrlTarget): Explanation {
    const g = this.groups.indexOf(client);
    const lower = name.toLowerCase().replace(/\.$/, '');
    const bare = lower.replace(/^\[|\]$/g, '');
    const trace = new RuleTrace((e, f, start) => this.nameRule(e, f, lower, start));
    const decide = (applies: Uint8Array, rec: RuleRecorder | null) =>
      target
        ? this.decideUrl(target, g, applies, rec)
        : isIP(bare) !== 0
          ? this.decideIp(bare, g, applies, rec)
          : this.decideName(lower, g, applies, rec);
    const v = decide(this.groups.enforced[g], trace);
    const blocked = v !== null && v !== EXCEPTION;
    // What the enforcing path leaves undecided, a monitored list would block: "would block".
    const would =
      v === null && this.groups.monitoring ? monitoredOnly(decide(this.groups.applies[g], null)) : null;
    return {
      name: lower,
      client,
      group: this.groups.names[g],
      blocked,
      ...(blocked ? { decidingRule: v.rule } : {}),
      ...(would ? { wouldBlock: would.rule } : {}),
      blockRules: trace.blockRules(),
      allowRules: trace.allowRules,
    };
  }

  // ---- names (hot path) ----

  /**
   * Any exception (name entry or regex) allows; else the most specific name entry blocks; else the
   * first block regex (in list order).
   */
  private decideName(name: string, g: number, applies: Uint8Array, rec: RuleRecorder | null): Verdict {
    const e = this.searchName(name, applies, rec);
    if (e === ALLOWED && rec === null) return EXCEPTION;
    let allowed = e === ALLOWED;
    let r: CompiledRule<LinearRegex> | null = null;
    if (this.allowRegexes.size > 0 || this.blockRegexes.size > 0) {
      const subject = regexSubject(name);
      if (this.allowRegexes.size > 0 && this.allowRegexes.first(subject, applies, rec) !== null) {
        if (rec === null) return EXCEPTION;
        allowed = true;
      }
      // A block regex decides only when no name entry blocks; explain still lists each that matched.
      if (this.blockRegexes.size > 0 && (e === NONE || rec !== null))
        r = this.blockRegexes.first(subject, applies, rec);
    }
    if (allowed) return EXCEPTION;
    if (e >= 0) return this.nameMatch(e, name, g, applies);
    return r !== null ? this.cachedMatch(r, g) : null;
  }

  /**
   * Hashes each suffix of `name` right to left and looks it up: the most specific block entry id,
   * ALLOWED when an exception matched (an allow wins over any block), or NONE. Without a recorder
   * it allocates nothing and stops at the first exception; with one it reports every entry it passes.
   */
  private searchName(name: string, applies: Uint8Array, rec: RuleRecorder | null): number {
    const t = this.names;
    const size = t.size;
    if (size === 0) return NONE;
    const keys = t.keys;
    const index = t.index;
    const shift = t.shift;
    const lowMask = (1 << shift) - 1;
    const bucketScale = 1 / (1 << shift);
    let end = name.length;
    if (end > 0 && name.charCodeAt(end - 1) === 46) end--;
    // Hash state in locals: an object field holding a 32-bit value outside the small-integer range
    // is boxed by V8, which made a lookup cost ~1.5 µs here instead of ~0.2 µs.
    let a = A_SEED;
    let b = B_SEED;
    let best = NONE;
    let allowed = false;
    for (let i = end - 1; i >= -1; i--) {
      let c = i >= 0 ? name.charCodeAt(i) : 46;
      if (c === 46) {
        const len = end - i - 1;
        if (len > 0) {
          const hi = keyHi(a, len);
          const lo = keyLo(b, len);
          const r = (hi >>> shift) * RECORD_WORDS;
          // The bucket record's filter (match/name-index.ts `mayHold`, inlined): a suffix in no list
          // ends on the record's cache line 92 % of the time at 1 M names, without the bucket search
          // (the bucket read and its misses into the 8 MB key array were 70–85 % of this function's
          // samples). matchName at 1 M names, same run (bench/name-search.ts): blocked 496 → 321 ns,
          // hits 135 → 77, allowed 4-label names 405 → 215 (bench/README.md, blocked-query section).
          if (
            (index[r + 1 + ((((lo >>> 10) & 0x7ff) * 3) >>> 11)] & (1 << (lo & 31))) !== 0 &&
            (index[r + 1 + (((lo >>> 21) * 3) >>> 11)] & (1 << ((lo >>> 5) & 31))) !== 0
          ) {
            const key = hi * 4294967296 + lo;
            const lb = index[r];
            const ub = index[r + RECORD_WORDS];
            // The first position whose key is not below `key`: the keys of a bucket are uniform in
            // its range, so the key's place in the range guesses its position to within ~2 (of ~15
            // at 1 M names), and a short scan from there stays on one cache line where a binary
            // search's four dependent probes crossed two or three.
            let lb0 = lb;
            if (lb < ub) {
              const where = ((hi & lowMask) + lo * 2.3283064365386963e-10) * bucketScale;
              let p = Math.min(lb + Math.floor(where * (ub - lb)), ub - 1);
              if (keys[p] < key) {
                p++;
                while (p < ub && keys[p] < key) p++;
              } else while (p > lb && keys[p - 1] >= key) p--;
              lb0 = p;
            }
            const atStart = i === -1;
            for (let p = lb0; p < size && keys[p] === key; p++) {
              const ef = t.ent[p]; // entry id and flags in one read (match/name-table.ts `ent`)
              const e = ef >>> FLAG_BITS;
              const list = t.listOf(e);
              if (applies[list] === 0) continue;
              const f = ef & FLAG_MASK;
              if ((f & EXACT) !== 0 && !atStart) continue;
              if ((f & SUBONLY) !== 0 && atStart) continue;
              if (rec !== null) rec.nameEntry(e, f, i + 1);
              if ((f & ALLOW) !== 0 || this.allowList[list] === 1) {
                if (rec === null) return ALLOWED;
                allowed = true;
              } else best = e; // later suffixes are longer: the last block found is the most specific
            }
          }
        }
        if (i < 0) break;
      }
      if (c >= 65 && c <= 90) c |= 32;
      a = stepA(a, c);
      b = stepB(b, c);
    }
    return allowed ? ALLOWED : best;
  }

  private nameMatch(e: number, name: string, g: number, applies: Uint8Array): BlockMatch {
    const key = e * this.groups.names.length + g;
    const cached = this.matchCache.get(key);
    if (cached) return cached;
    // First block by this entry: find where in the name it matched, for the rule text.
    const where = new EntryStart(e);
    this.searchName(name, applies, where);
    const rule = this.nameRule(e, where.flags, name, where.start);
    return this.remember(key, { rule, group: this.groups.names[g] });
  }

  /** The rule identity of name entry `e` (flags `f`), which matched `name` from `start` on. */
  private nameRule(e: number, f: number, name: string, start: number): Rule {
    const t = this.names;
    const list = t.listOf(e);
    const meta = this.lists_[list];
    const suffix = name.slice(start, name.endsWith('.') ? -1 : undefined).toLowerCase();
    return ruleOf(meta, t.lines[e], ruleText(f, suffix), (f & ALLOW) !== 0 || meta.allowSource);
  }

  private cachedMatch<T>(r: CompiledRule<T>, g: number): BlockMatch {
    const key = r.id * this.groups.names.length + g;
    return this.matchCache.get(key) ?? this.remember(key, { rule: r.rule, group: this.groups.names[g] });
  }

  private remember(key: number, m: BlockMatch): BlockMatch {
    if (this.matchCache.size >= MATCH_CACHE_MAX) this.matchCache.clear();
    this.matchCache.set(key, m);
    return m;
  }

  // ---- IP addresses ----

  /** Any exception containing the address allows; else the most specific block rule blocks. */
  private decideIp(address: string, g: number, applies: Uint8Array, rec: RuleRecorder | null): Verdict {
    return this.ruleVerdict(this.ips.decide(address, applies, rec), g);
  }

  // ---- URLs (proxy) ----

  /** Host rules (names, then IP rules for an IP literal) decide first, then URL rules. */
  private decideUrl(target: UrlTarget, g: number, applies: Uint8Array, rec: RuleRecorder | null): Verdict {
    const host = target.host;
    let v = this.decideName(host, g, applies, rec);
    if (v !== null && rec === null) return v;
    if (this.ips.size > 0 && (host.includes(':') || /^\d+\.\d+\.\d+\.\d+$/.test(host))) {
      const byIp = this.decideIp(host.replace(/^\[|\]$/g, ''), g, applies, rec);
      v ??= byIp;
      if (v !== null && rec === null) return v;
    }
    if (this.urls.size === 0) return v;
    // With a recorder the URL rules are searched even after a host rule decided, for explain's list.
    const byUrl = this.urls.decide(target, applies, rec);
    return v ?? this.ruleVerdict(byUrl, g);
  }

  hasUrlRules(host: string, client: string): boolean {
    // Enforced lists only: a monitored list must not change how a CONNECT is handled (no decryption).
    return this.urls.blocksOn(host, this.groups.enforced[this.groups.indexOf(client)]);
  }

  private ruleVerdict<T>(v: RuleVerdict<T>, g: number): Verdict {
    return v === null || v === EXCEPTION ? v : this.cachedMatch(v, g);
  }

  // ---- slow paths ----

  lists(): readonly ListSummary[] {
    return this.lists_.map((l) => ({
      name: l.name,
      app: l.app,
      category: l.category,
      source: l.source,
      entries: l.parsed.entries,
      badLines: l.parsed.badCount,
      refreshInterval: l.refreshInterval,
      ...(l.monitor ? { mode: 'monitor' as const } : {}),
    }));
  }

  ipRules(): readonly { readonly cidr: string; readonly rule: RuleRef }[] {
    return this.ips.blockRules();
  }

  /** URL rules, for tools that print the policy (`explain`, the PAC file). */
  urlRules(): readonly RuleRef[] {
    return this.urls.rules();
  }
}

/** A decision made with every list of the group, kept only when a monitored list's rule decided it. */
function monitoredOnly(v: Verdict): BlockMatch | null {
  return v !== null && v !== EXCEPTION && v.rule.monitor ? v : null;
}

/** The name regexes see: without its trailing dot (as name entries ignore it); allocates only then. */
function regexSubject(name: string): string {
  return name.length > 0 && name.charCodeAt(name.length - 1) === 46 ? name.slice(0, -1) : name;
}

function ruleText(flags: number, name: string): string {
  const base = (flags & EXACT) !== 0 ? `=${name}` : (flags & SUBONLY) !== 0 ? `*.${name}` : name;
  return (flags & ALLOW) !== 0 ? `@@${base}` : base;
}
