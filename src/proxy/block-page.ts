// The 403 a person sees when the proxy refuses a request: what was blocked, for which app and
// category, the policy it enforces and whom to contact (texts from `proxy.blockPage`). HTML for
// browsers, plain text for everything else, and `X-Banwall-Block: app/category` for scripts.
import type { BlockMatch, RuleRef } from '../policy/snapshot.ts';

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

/**
 * The page of one rule around the blocked address: `head + what + tail`. Built once per rule, page
 * text and form (HTML or text) and kept with the rule object (a WeakMap: a replaced policy takes its
 * templates with it). It remembers the last address it was filled with, so a client retrying the
 * same URL (an updater does) gets the same body string and header list back without building either.
 */
export interface PageTemplate {
  readonly text: BlockPageText;
  readonly contentType: string;
  readonly head: string;
  readonly tail: string;
  readonly html: boolean;
  /** `X-Banwall-Block`. */
  readonly blockHeader: string;
  lastWhat: string | null;
  lastBody: string;
  /** The response's header list for `lastBody` (Node's flat [name, value, ...] form). */
  lastHeaders: string[];
}

const textTemplates = new WeakMap<RuleRef, PageTemplate>();
const htmlTemplates = new WeakMap<RuleRef, PageTemplate>();

function buildTemplate(text: BlockPageText, rule: RuleRef, html: boolean): PageTemplate {
  const app = APP_NAMES[rule.app] ?? rule.app;
  const category = CATEGORY_WORDS[rule.category] ?? rule.category;
  const base = {
    text,
    html,
    blockHeader: `${rule.app}/${rule.category}`,
    lastWhat: null,
    lastBody: '',
    lastHeaders: [],
  };
  if (!html) {
    return {
      ...base,
      contentType: 'text/plain; charset=utf-8',
      head: `${text.title}\n\nBlocked: `,
      tail:
        `\nApplication: ${app} (${category})\n` +
        `Rule: ${rule.rule} (list ${rule.list})\n\n` +
        `${text.policy}\n\n` +
        `If you need this for your work, contact ${text.contact}.\n`,
    };
  }
  const e = escapeHtml;
  return {
    ...base,
    contentType: 'text/html; charset=utf-8',
    head:
      '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
      '<meta name="viewport" content="width=device-width, initial-scale=1">' +
      `<title>${e(text.title)}</title>` +
      '<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;' +
      'line-height:1.5;color:#222}h1{font-size:1.5em}dt{font-weight:bold}dd{margin:0 0 .6em 0}' +
      'code{word-break:break-all}</style></head><body>' +
      `<h1>${e(text.title)}</h1>` +
      `<p>This network does not allow <strong>${e(app)}</strong> (${e(category)}).</p>` +
      '<dl>' +
      '<dt>Blocked address</dt><dd><code>',
    tail:
      '</code></dd>' +
      `<dt>Application</dt><dd>${e(app)}</dd>` +
      `<dt>Category</dt><dd>${e(category)}</dd>` +
      `<dt>Rule</dt><dd><code>${e(rule.rule)}</code> (list ${e(rule.list)})</dd>` +
      '</dl>' +
      `<p>${e(text.policy)}</p>` +
      `<p>If you need this for your work, contact ${e(text.contact)}.</p>` +
      '</body></html>\n',
  };
}

/** The template for `match` with these page texts, built on first use. */
export function blockTemplate(text: BlockPageText, match: BlockMatch, html: boolean): PageTemplate {
  const cache = html ? htmlTemplates : textTemplates;
  let t = cache.get(match.rule);
  if (t === undefined || t.text !== text) {
    t = buildTemplate(text, match.rule, html);
    cache.set(match.rule, t);
  }
  return t;
}

const HTML_SPECIAL = /[&<>"']/;

/** Fills the template with `what` (the host or URL as the person typed it); see PageTemplate. */
export function fillTemplate(t: PageTemplate, what: string): string {
  if (what === t.lastWhat) return t.lastBody;
  const shown = t.html && HTML_SPECIAL.test(what) ? escapeHtml(what) : what;
  const body = t.head + shown + t.tail;
  t.lastWhat = what;
  t.lastBody = body;
  t.lastHeaders = [
    'content-type',
    t.contentType,
    'content-length',
    String(Buffer.byteLength(body)),
    'cache-control',
    'no-store',
    'x-banwall-block',
    t.blockHeader,
  ];
  return body;
}

/** The page for a blocked request; `what` is the host or URL as the person typed it. */
export function renderBlockPage(
  text: BlockPageText,
  match: BlockMatch,
  what: string,
  html: boolean,
): RenderedPage {
  const t = blockTemplate(text, match, html);
  return { contentType: t.contentType, body: Buffer.from(fillTemplate(t, what)) };
}

/** A short plain-text refusal that is not a policy block (403 open proxy, 400, 502, ...). */
export function plainPage(message: string): RenderedPage {
  return { contentType: 'text/plain; charset=utf-8', body: Buffer.from(`${message}\n`) };
}
