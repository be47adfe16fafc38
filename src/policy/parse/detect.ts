// Guesses a list's format from its first meaningful lines, as Blocky and AdGuard Home do; the
// `format:` key of a list overrides the guess.
import type { ParsedFormat } from './parsed-list.ts';

const SAMPLE_LINES = 500;

export function detectFormat(text: string): ParsedFormat {
  return detectFormatSampled(text).format;
}

/**
 * The guess, and whether it saw all the lines it samples: then the same text with more lines after
 * it gets the same guess (parse/list-bytes.ts detects on a prefix of a list held as bytes).
 */
export function detectFormatSampled(text: string): { format: ParsedFormat; sampledAll: boolean } {
  let adblock = 0;
  let hosts = 0;
  let seen = 0;
  let pos = 0;
  while (pos < text.length && seen < SAMPLE_LINES) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const line = text.slice(pos, nl).trim();
    pos = nl + 1;
    if (line === '' || line.startsWith('#')) continue;
    seen++;
    if (line.startsWith('!') || line.startsWith('|') || line.startsWith('@@|')) {
      adblock++;
    } else if (/^\[adblock/i.test(line)) adblock += 10;
    else if (/^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:]*)\s+\S/i.test(line)) hosts++;
  }
  const sampledAll = seen === SAMPLE_LINES;
  if (adblock > 0 && adblock >= hosts) return { format: 'adblock', sampledAll };
  if (hosts > 0 && hosts * 2 >= seen) return { format: 'hosts', sampledAll };
  return { format: 'domains', sampledAll };
}
