// What `banwall explain` and GET /api/explain accept, checked in one place so that both take the same
// inputs and refuse the same ones with the same words: a domain name (Unicode names become their
// A-label), an http(s) URL (the proxy's decision for it) or an IP address (IP rules); a client IP
// address; a query type by mnemonic or as TYPEnnn (RFC 3597).
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { QTYPE_NUMBERS } from '../dns/wire/qtypes.ts';

export type SubjectKind = 'name' | 'url' | 'ip';

export interface ExplainInput {
  readonly kind: SubjectKind;
  /** What the policy is asked about: the lower-case name, the URL as given, or the address. */
  readonly subject: string;
  /** The name or address a resolver would be asked about (a URL's host). */
  readonly host: string;
  readonly client: string;
  /** Upper-case mnemonic or TYPEnnn. */
  readonly type: string;
  readonly qtype: number;
}

export interface RawExplainInput {
  readonly subject: string | null | undefined;
  readonly client?: string | null;
  readonly type?: string | null;
}

export type Checked =
  { readonly ok: true; readonly input: ExplainInput } | { readonly ok: false; readonly error: string };

const LABEL = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?|\*)$/;

/** A DNS name as a resolver would be asked for it, or null. `*` only as a whole leftmost label. */
export function normalizeName(text: string): string | null {
  let name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name === '' || /\s/.test(name)) return null;
  // Unicode (IDNA) names become their A-label, as a browser would ask for them; '' when invalid.
  if (/[^\x20-\x7e]/.test(name)) name = domainToASCII(name);
  name = name.toLowerCase();
  if (name === '' || name.length > 253) return null;
  const labels = name.split('.');
  for (let i = 0; i < labels.length; i++) {
    if (!LABEL.test(labels[i]) || (labels[i] === '*' && i > 0)) return null;
  }
  return name;
}

function subjectOf(text: string): { kind: SubjectKind; subject: string; host: string } | string {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIP(bare) !== 0) return { kind: 'ip', subject: bare.toLowerCase(), host: bare.toLowerCase() };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    if (!/^https?:\/\//i.test(text))
      return `${JSON.stringify(text)}: only http and https URLs can be explained`;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return `${JSON.stringify(text)} is not a valid URL`;
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0) return { kind: 'url', subject: url.href, host };
    const name = normalizeName(host);
    if (name === null) return `${JSON.stringify(text)}: ${JSON.stringify(host)} is not a domain name`;
    return { kind: 'url', subject: url.href, host: name };
  }
  const name = normalizeName(text);
  if (name === null) {
    return `${JSON.stringify(text)} is not a domain name, an http(s) URL or an IP address`;
  }
  return { kind: 'name', subject: name, host: name };
}

/** The query type's number: a known mnemonic or TYPEnnn (1..65535). */
export function qtypeOf(text: string): number | null {
  const upper = text.toUpperCase();
  if (Object.hasOwn(QTYPE_NUMBERS, upper)) return QTYPE_NUMBERS[upper];
  const m = /^TYPE(\d{1,5})$/.exec(upper);
  if (m === null) return null;
  const n = Number(m[1]);
  return n >= 1 && n <= 65535 ? n : null;
}

export function checkExplainInput(raw: RawExplainInput): Checked {
  const text = (raw.subject ?? '').trim();
  if (text === '') return { ok: false, error: 'a name, URL or IP address to explain is required' };
  const s = subjectOf(text);
  if (typeof s === 'string') return { ok: false, error: s };
  const client = raw.client ?? '127.0.0.1';
  if (isIP(client) === 0)
    return { ok: false, error: `client ${JSON.stringify(client)} is not an IP address` };
  const qtype = qtypeOf(raw.type ?? 'A');
  if (qtype === null) {
    return {
      ok: false,
      error: `type ${JSON.stringify(raw.type)} is not a query type (${Object.keys(QTYPE_NUMBERS).join(', ')} or TYPEnnn)`,
    };
  }
  // TYPE28 is AAAA: name it by its mnemonic, so that the answer describes it as one.
  const type = Object.keys(QTYPE_NUMBERS).find((k) => QTYPE_NUMBERS[k] === qtype) ?? `TYPE${qtype}`;
  return { ok: true, input: { ...s, client, type, qtype } };
}
