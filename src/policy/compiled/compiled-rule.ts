// One rule of a list as the compiled policy keeps it (regex, IP and URL rules; names live in the
// packed name table), and the decision type every rule kind's search returns.
import type { BlockMatch } from '../snapshot.ts';
import type { Rule } from './list-meta.ts';

export interface CompiledRule<T> {
  readonly value: T;
  readonly list: number;
  readonly rule: Rule;
  /** Key of this rule's BlockMatch in the match cache (names take ids below the other rules). */
  readonly id: number;
}

/** A decision: blocked by a rule, allowed by an exception (which ends the search), or no rule. */
export const EXCEPTION = Symbol('allowed by an exception');
export type Verdict = BlockMatch | typeof EXCEPTION | null;

/** What one rule kind's search found: the deciding block rule, an exception, or nothing. */
export type RuleVerdict<T> = CompiledRule<T> | typeof EXCEPTION | null;
