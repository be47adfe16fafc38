// All regex rules of one kind (allow or block) in one RE2 automaton (re2js's RE2Set): a name is
// scanned once, whatever the number of rules. Testing each rule in turn cost 2–3 µs per rule on
// this machine (300 rules: ~0.35 ms per query, a resolver capped near 3,000 qps); the set costs
// 0.5–3 µs in all (`bench/regex-cost.ts`). Linear in the name, like each rule alone.
import { RE2JS, RE2Set } from 're2js';
import type { LinearRegex } from './name-regex.ts';

const NO_MATCH: readonly number[] = [];
/** Recently built sets: a reload that leaves the regex rules as they were reuses its automaton. */
const RECENT_MAX = 4;
const recent: RegexRuleSet[] = [];

export class RegexRuleSet {
  readonly size: number;
  private readonly set: RE2Set | null;
  /** Used when the rules do not fit one automaton (RE2's program size limit): one test per rule. */
  private readonly each: readonly LinearRegex[];

  /**
   * The set of `rules` (index i is rule i): built once, then reused while the same compiled rules come
   * back (building costs ~0.5 ms a rule here; a reload of an unchanged list keeps its RE2 objects).
   */
  static of(rules: readonly LinearRegex[]): RegexRuleSet {
    const hit = recent.find((r) => r.each.length === rules.length && r.each.every((x, i) => x === rules[i]));
    if (hit) return hit;
    const built = new RegexRuleSet(rules);
    recent.unshift(built);
    if (recent.length > RECENT_MAX) recent.pop();
    return built;
  }

  /** `rules` were compiled case-insensitively by match/name-regex.ts; index i is rule i. */
  constructor(rules: readonly LinearRegex[]) {
    this.size = rules.length;
    this.each = rules;
    this.set = rules.length === 0 ? null : buildSet(rules);
  }

  /** Indices of the rules that match somewhere in `s`, in no particular order. */
  match(s: string): readonly number[] {
    if (this.size === 0) return NO_MATCH;
    if (this.set !== null) return this.set.match(s);
    const out: number[] = [];
    for (let i = 0; i < this.each.length; i++) if (this.each[i].test(s)) out.push(i);
    return out;
  }
}

function buildSet(rules: readonly LinearRegex[]): RE2Set | null {
  try {
    const set = new RE2Set(RE2Set.UNANCHORED, RE2JS.CASE_INSENSITIVE);
    for (const r of rules) set.add(r.pattern());
    set.compile();
    return set;
  } catch {
    return null;
  }
}
