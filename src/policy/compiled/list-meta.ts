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

/** A rule's identity; built once per rule that matches (names) or per rule at compile (the rest). */
export class Rule implements RuleRef {
  readonly list: string;
  readonly app: string;
  readonly category: Category;
  readonly source: string;
  readonly line: number;
  readonly rule: string;
  readonly action: BlockAction;
  /** Whether this is an exception (allow) rule. */
  readonly allow: boolean;
  /** Whether the rule's list is in monitor mode (it would block, but does not). */
  readonly monitor: boolean;
  constructor(meta: ListMeta, line: number, rule: string, allow: boolean) {
    this.list = meta.name;
    this.app = meta.app;
    this.category = meta.category;
    this.source = meta.source;
    this.line = line;
    this.rule = rule;
    this.action = meta.action;
    this.allow = allow;
    this.monitor = meta.monitor;
  }
}
