// The list formats and their line parsers: one line of a list's text into a ParsedList. The line loop
// that feeds them, for files, remote lists and inline text alike, is list-bytes.ts.
import type { ParsedList, ParsedFormat } from './parsed-list.ts';
import { detectFormat } from './detect.ts';
import { parseDomainLine } from './domains.ts';
import { parseHostsLine } from './hosts.ts';
import { parseAdblockLine } from './adblock.ts';

export type ListFormat = 'auto' | 'domains' | 'hosts' | 'adblock' | 'rules';

export type LineParser = (out: ParsedList, text: string, s: number, e: number, lineNo: number) => void;

export const PARSERS: Record<ParsedFormat, LineParser> = {
  domains: parseDomainLine,
  hosts: parseHostsLine,
  adblock: parseAdblockLine,
};

/** The format a list is parsed in: `auto` guessed from its first lines (`text`), `rules` as domains. */
export function formatOf(format: ListFormat, text: () => string): ParsedFormat {
  return format === 'auto' ? detectFormat(text()) : format === 'rules' ? 'domains' : format;
}

/** A list "fails to parse" when most of its rule lines are bad (an HTML error page, a wrong file). */
export function looksBroken(list: ParsedList): boolean {
  return list.badCount > 0 && list.badCount * 2 > list.ruleLines;
}
