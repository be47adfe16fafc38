// One kind of regex rule (the exceptions or the blocks) of every list, matched together through one
// RegexRuleSet: a name is run through the set once, whatever the number of rules.
import type { LinearRegex } from '../match/name-regex.ts';
import { RegexRuleSet } from '../match/regex-set.ts';
import type { CompiledRule } from './compiled-rule.ts';
import type { RuleRecorder } from './rule-trace.ts';

export class RegexRules {
  private readonly rules: readonly CompiledRule<LinearRegex>[];
  private readonly set: RegexRuleSet;

  constructor(rules: readonly CompiledRule<LinearRegex>[]) {
    this.rules = rules;
    this.set = RegexRuleSet.of(rules.map((r) => r.value));
  }

  get size(): number {
    return this.rules.length;
  }

  /** The first rule (in list order) of the `applies` lists matching `subject`; records every match. */
  first(subject: string, applies: Uint8Array, rec: RuleRecorder | null): CompiledRule<LinearRegex> | null {
    const hits = this.set.match(subject);
    if (hits.length === 0) return null;
    let found = -1;
    for (let k = 0; k < hits.length; k++) {
      const i = hits[k];
      if (applies[this.rules[i].list] !== 0 && (found < 0 || i < found)) found = i;
    }
    if (rec !== null) {
      for (const i of [...hits].sort((x, y) => x - y))
        if (applies[this.rules[i].list] !== 0) rec.rule(this.rules[i].rule);
    }
    return found < 0 ? null : this.rules[found];
  }
}
