// What parsing one list file yields: packed names plus the few rules that are not names.
import { NameBuilder } from '../match/name-table.ts';
import type { UrlRuleSpec } from '../match/url-rule.ts';

export type ParsedFormat = 'domains' | 'hosts' | 'adblock';

export interface BadLine {
  readonly line: number;
  readonly text: string;
  readonly reason: string;
}

/** A rule that is not a plain name: kept with its text (lists hold few of them). */
export interface TextRule<T> {
  readonly value: T;
  readonly allow: boolean;
  readonly line: number;
  readonly text: string;
}

/** Bad lines kept per list for `banwall check` and the log; the rest are only counted. */
export const MAX_BAD_LINES_KEPT = 1000;

export class ParsedList {
  format: ParsedFormat = 'domains';
  readonly names = new NameBuilder();
  readonly regexes: TextRule<RegExp>[] = [];
  readonly urls: TextRule<UrlRuleSpec>[] = [];
  readonly ips: TextRule<string>[] = [];
  readonly badLines: BadLine[] = [];
  badCount = 0;
  /** Lines that were neither blank nor comments. */
  ruleLines = 0;
  /** The lines that became regex, URL or IP rules, as written: the compiled cache re-parses them. */
  readonly specialLines: { line: number; text: string }[] = [];

  get entries(): number {
    return this.names.count + this.regexes.length + this.urls.length + this.ips.length;
  }

  bad(line: number, text: string, reason: string): void {
    this.badCount++;
    if (this.badLines.length < MAX_BAD_LINES_KEPT) {
      this.badLines.push({ line, text: text.length > 200 ? `${text.slice(0, 200)}…` : text, reason });
    }
  }
}
