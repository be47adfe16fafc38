// One list (or allow source) as the compiled policy knows it: its identity, its answer and its rules.
import type { BlockAction, Category, RuleRef } from '../snapshot.ts';
import type { ParsedList } from '../parse/parsed-list.ts';

export interface ListMeta {
  readonly name: string;
  readonly app: string;
  readonly category: Category;
  /** The file path or URL, as configured (relative paths resolved). */
  readonly source: string;
  readonly action: BlockAction;
  /** Monitor (dry-run) mode: its matches are counted and recorded, never enforced. */
  readonly monitor: boolean;
  /** An `allow:` source: every rule in it is an exception. */
  readonly allowSource: boolean;
  readonly parsed: ParsedList;
  /** `refresh` interval in ms for remote lists, 0 otherwise. Live refresh state is the refresher's. */
  readonly refreshInterval: number;
}

/** A rule's identity, with whether it is an exception and whether its list is monitored. */
export interface Rule extends RuleRef {
  /** Whether this is an exception (allow) rule. */
  readonly allow: boolean;
  readonly monitor: boolean;
}

/** The identity of a rule of `meta`; built once per rule that matches (names) or per rule at compile. */
export function ruleOf(meta: ListMeta, line: number, rule: string, allow: boolean): Rule {
  const { name: list, app, category, source, action, monitor } = meta;
  return { list, app, category, source, line, rule, action, allow, monitor };
}
