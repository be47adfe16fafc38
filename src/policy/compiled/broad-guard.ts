// The policy refuses a list holding a rule that blocks (or allows) a whole TLD or everything
// (parse/broad-rules.ts says which), unless the list is marked `allowBroad: true`: the error names
// the file and line, and the previous policy keeps serving.
import type { ParsedList } from '../parse/parsed-list.ts';

/** Errors reported per list at most (a list of broad rules is one mistake, not 10,000). */
const MAX_REPORTED = 20;

export interface BroadGuardList {
  /** `lists[3]` or `allow[0]`: where `allowBroad` goes. */
  readonly keyPath: string;
  readonly name: string;
  /** The file or URL, for `file:line`. */
  readonly source: string;
  readonly allowBroad: boolean;
  /** An `allow:` source: each of its rules allows, whatever its own form. */
  readonly allowSource: boolean;
}

/** One error per broad rule of `parsed` (bounded), or none when the list allows them. */
export function broadRuleErrors(list: BroadGuardList, parsed: ParsedList): string[] {
  if (list.allowBroad || parsed.broad.length === 0) return [];
  const out = parsed.broad.slice(0, MAX_REPORTED).map((b) => {
    const reason = list.allowSource ? b.reason.replace(/^blocks /, 'allows ') : b.reason;
    return (
      `${list.source}:${b.line}: "${b.text}" ${reason}; refused: set \`allowBroad: true\` ` +
      `on ${list.keyPath} (${list.name}) if this is meant`
    );
  });
  const more = parsed.broad.length - out.length;
  if (more > 0) out.push(`${list.source}: ${more} more rules that block a whole TLD or everything`);
  return out;
}
