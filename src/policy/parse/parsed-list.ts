// What parsing one list file yields: packed names plus the few rules that are not names.
import { NameBuilder, EXACT, ALLOW } from '../match/name-table.ts';
import type { UrlRuleSpec } from '../match/url-rule.ts';
import type { LinearRegex } from '../match/name-regex.ts';
import { broadName, broadRegexes } from './broad-rules.ts';

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
  readonly regexes: TextRule<LinearRegex>[] = [];
  readonly urls: TextRule<UrlRuleSpec>[] = [];
  readonly ips: TextRule<string>[] = [];
  readonly badLines: BadLine[] = [];
  badCount = 0;
  /** Lines that were neither blank nor comments. */
  ruleLines = 0;
  /** The lines that became regex, URL or IP rules, as written: the compiled cache re-parses them. */
  readonly specialLines: { line: number; text: string }[] = [];
  /**
   * Rules that block or allow a whole TLD or everything (parse/broad-rules.ts), all of them: the
   * policy refuses the list unless it is marked `allowBroad` (compiled/broad-guard.ts).
   */
  readonly broad: BadLine[] = [];

  get entries(): number {
    return this.names.count + this.regexes.length + this.urls.length + this.ips.length;
  }

  /**
   * Adds text[s, e) as a name rule (see NameBuilder.add); false when it is not a valid name. Only
   * names of one or two labels cost more than the add: they may be a public suffix.
   */
  addName(text: string, s: number, e: number, flags: number, line: number): boolean {
    const labels = this.names.add(text, s, e, flags, line);
    if (labels === 0) return false;
    if (labels <= 2 && (flags & EXACT) === 0) {
      const name = text.slice(s, e);
      const reason = broadName(name, labels, false, (flags & ALLOW) !== 0);
      if (reason !== null) this.broadRule(line, name, reason);
    }
    return true;
  }

  /** After the last line: judges the regex rules for breadth, all in one pass (broad-rules.ts). */
  finish(): void {
    if (this.regexes.length === 0) return;
    broadRegexes(this.regexes).forEach((reason, i) => {
      if (reason !== null) this.broadRule(this.regexes[i].line, this.regexes[i].text, reason);
    });
    this.broad.sort((a, b) => a.line - b.line);
  }

  broadRule(line: number, text: string, reason: string): void {
    this.broad.push({ line, text: text.length > 200 ? `${text.slice(0, 200)}…` : text, reason });
  }

  bad(line: number, text: string, reason: string): void {
    this.badCount++;
    if (this.badLines.length < MAX_BAD_LINES_KEPT) {
      this.badLines.push({ line, text: text.length > 200 ? `${text.slice(0, 200)}…` : text, reason });
    }
  }
}
