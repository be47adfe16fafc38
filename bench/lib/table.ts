// The report: one Markdown table per part, each banwall figure beside each peer's and the ratio.
import type { Metric, Results } from './results.ts';

function fmt(v: number | undefined, digits: number): string {
  if (v === undefined) return '—';
  if (Math.abs(v) >= 10_000 && digits === 0) return `${(v / 1000).toFixed(1)} k`;
  return v.toFixed(digits);
}

/** banwall ÷ peer, written so that > 1 always means banwall is better. */
function ratio(b: number | undefined, p: number | undefined, m: Metric): string {
  if (b === undefined || p === undefined || m.better === 'info') return '';
  if (m.better === 'higher') return p === 0 ? '' : `${(b / p).toFixed(2)}×`;
  return b === 0 ? '' : `${(p / b).toFixed(2)}×`;
}

export function table(
  title: string,
  results: Results,
  metrics: readonly Metric[],
  banwall: string,
  peers: readonly string[],
  extra: readonly string[] = [],
): string {
  const head = [title, banwall, ...peers.flatMap((p) => [p, `vs ${p}`]), ...extra];
  const lines = [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
  ];
  for (const m of metrics) {
    const b = results.median(m.key, banwall);
    const arrow = m.better === 'higher' ? ' ↑' : m.better === 'lower' ? ' ↓' : '';
    const cells = [`${m.label} (${m.unit})${arrow}`, fmt(b, m.digits)];
    for (const p of peers) {
      const v = results.median(m.key, p);
      cells.push(fmt(v, m.digits), ratio(b, v, m));
    }
    for (const e of extra) cells.push(fmt(results.median(m.key, e), m.digits));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
