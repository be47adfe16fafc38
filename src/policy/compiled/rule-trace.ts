// What a policy decision passes on its way, for `explain`: the enforcing path runs the very same
// search with a recorder of null (no allocation), `explain` runs it with a RuleTrace. Both get the
// decision from the same code, so `explain` cannot tell an operator something the resolver does not do.
import type { Rule } from './list-meta.ts';

/** Receives every rule a search passes that applies to the client's group. */
export interface RuleRecorder {
  /** Name entry `entry` (its `flags`) matched the suffix of the searched name from `start` on. */
  nameEntry(entry: number, flags: number, start: number): void;
  /** A regex, IP or URL rule matched. */
  rule(rule: Rule): void;
}

/** Collects the rules of one decision, allow and block apart. */
export class RuleTrace implements RuleRecorder {
  readonly allowRules: Rule[] = [];
  /** Name entries in the order the search passes them: shortest suffix first. */
  private readonly nameBlocks: Rule[] = [];
  private readonly otherBlocks: Rule[] = [];
  private readonly toRule: (entry: number, flags: number, start: number) => Rule;

  constructor(toRule: (entry: number, flags: number, start: number) => Rule) {
    this.toRule = toRule;
  }

  nameEntry(entry: number, flags: number, start: number): void {
    const r = this.toRule(entry, flags, start);
    (r.allow ? this.allowRules : this.nameBlocks).push(r);
  }

  rule(rule: Rule): void {
    (rule.allow ? this.allowRules : this.otherBlocks).push(rule);
  }

  /** Block rules, most specific name rule first (the one a name block is decided by), then the rest. */
  blockRules(): Rule[] {
    return [...this.nameBlocks].reverse().concat(this.otherBlocks);
  }
}

/**
 * Finds where in the name one entry matched, and its flags (for the rule text of a block, built once
 * per entry).
 */
export class EntryStart implements RuleRecorder {
  start = -1;
  flags = 0;
  private readonly entry: number;
  constructor(entry: number) {
    this.entry = entry;
  }
  nameEntry(entry: number, flags: number, start: number): void {
    if (entry !== this.entry) return;
    this.start = start;
    this.flags = flags;
  }
  rule(): void {}
}
