// The 403 a person sees when the proxy refuses a request: what was blocked, for which app and
// category, the policy it enforces and whom to contact (texts from `proxy.blockPage`). HTML for
// browsers, plain text for everything else, and `X-Banwall-Block: app/category` for scripts.
import type { BlockMatch } from '../policy/snapshot.ts';

export interface BlockPageText {
  readonly title: string;
  readonly policy: string;
  readonly contact: string;
}

export interface RenderedPage {
  readonly contentType: string;
  readonly body: Buffer;
}

const CATEGORY_WORDS: Record<string, string> = {
  'app-store': 'app store listing',
  download: 'download',
  update: 'update',
  telemetry: 'telemetry',
  core: 'service',
  bypass: 'filter bypass',
};

const APP_NAMES: Record<string, string> = { wechat: 'WeChat', kaspersky: 'Kaspersky' };

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

/** Whether the client prefers a web page (a browser sends `Accept: text/html,...`). */
export function wantsHtml(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('text/html');
}

export function blockHeaderValue(match: BlockMatch): string {
  return `${match.rule.app}/${match.rule.category}`;
}

/** The page for a blocked request; `what` is the host or URL as the person typed it. */
export function renderBlockPage(
  text: BlockPageText,
  match: BlockMatch,
  what: string,
  html: boolean,
): RenderedPage {
  const app = APP_NAMES[match.rule.app] ?? match.rule.app;
  const category = CATEGORY_WORDS[match.rule.category] ?? match.rule.category;
  if (!html) {
    const body =
      `${text.title}\n\n` +
      `Blocked: ${what}\n` +
      `Application: ${app} (${category})\n` +
      `Rule: ${match.rule.rule} (list ${match.rule.list})\n\n` +
      `${text.policy}\n\n` +
      `If you need this for your work, contact ${text.contact}.\n`;
    return { contentType: 'text/plain; charset=utf-8', body: Buffer.from(body) };
  }
  const e = escapeHtml;
  const body =
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${e(text.title)}</title>` +
    '<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;' +
    'line-height:1.5;color:#222}h1{font-size:1.5em}dt{font-weight:bold}dd{margin:0 0 .6em 0}' +
    'code{word-break:break-all}</style></head><body>' +
    `<h1>${e(text.title)}</h1>` +
    `<p>This network does not allow <strong>${e(app)}</strong> (${e(category)}).</p>` +
    '<dl>' +
    `<dt>Blocked address</dt><dd><code>${e(what)}</code></dd>` +
    `<dt>Application</dt><dd>${e(app)}</dd>` +
    `<dt>Category</dt><dd>${e(category)}</dd>` +
    `<dt>Rule</dt><dd><code>${e(match.rule.rule)}</code> (list ${e(match.rule.list)})</dd>` +
    '</dl>' +
    `<p>${e(text.policy)}</p>` +
    `<p>If you need this for your work, contact ${e(text.contact)}.</p>` +
    '</body></html>\n';
  return { contentType: 'text/html; charset=utf-8', body: Buffer.from(body) };
}

/** A short plain-text refusal that is not a policy block (403 open proxy, 400, 502, ...). */
export function plainPage(message: string): RenderedPage {
  return { contentType: 'text/plain; charset=utf-8', body: Buffer.from(`${message}\n`) };
}
