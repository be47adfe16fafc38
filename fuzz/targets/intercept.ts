// Fuzz target: what a client sends into a tunnel that banwall decrypts (proxy.intercept), for the
// tunnel of `dldir1.qq.com:443` whose URL rule refuses `/weixin/`. The input is a 2-byte length, that
// many bytes of "ClientHello", then an HTTP/1.1 request head as the client would send it inside TLS.
// Invariants: nothing throws; the hello is accepted only when it names the tunnel's host or none; a
// request is judged only when its Host names the tunnel's host and port, and the target it is judged
// on is the one forwarded (parsing the forwarded origin-form again gives the same path and query);
// `/weixin/…` in any encoding the origin decodes is blocked, exactly as on plain HTTP.
import assert from 'node:assert/strict';
import { parseClientHello } from '../../src/proxy/tls-client-hello.ts';
import { helloVerdict, hostMatches, tunnelRequestTarget } from '../../src/proxy/intercept/decisions.ts';
import { parseHttpTarget } from '../../src/proxy/target.ts';
import { parseUrlRule, urlRuleMatches } from '../../src/policy/match/url-rule.ts';

const NAME = 'dldir1.qq.com';
const PORT = 443;
const VIA_ID = 'banwall-fuzz0001';
const parsedRule = parseUrlRule(['=dldir1.qq.com', '/weixin/']);
if (typeof parsedRule === 'string') throw new Error(parsedRule);
const RULE = parsedRule;

interface Head {
  httpVersionMajor: number;
  url: string;
  host: string | undefined;
  via: string | undefined;
}

/** The request line and the Host/Via headers, read as Node's parser would for a well-formed head. */
function readHead(text: string): Head | null {
  const lines = text.split(/\r?\n/);
  const m = /^([A-Z]+) (\S+) HTTP\/(\d)\.(\d)$/.exec(lines[0] ?? '');
  if (m === null) return null;
  let host: string | undefined;
  let via: string | undefined;
  for (const line of lines.slice(1)) {
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) return null;
    const key = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'host')
      host ??= value; // Node keeps the first Host
    else if (key === 'via') via = via === undefined ? value : `${via}, ${value}`;
  }
  return { httpVersionMajor: Number(m[3]), url: m[2], host, via };
}

export function fuzz(data: Buffer): void {
  if (data.length < 2) return;
  const helloLen = data.readUInt16BE(0);
  const hello = data.subarray(2, 2 + helloLen);
  const verdict = helloVerdict(hello, NAME);
  if (verdict === 'ok') {
    const parsed = parseClientHello(hello);
    assert.equal(parsed.state, 'hello');
    if (parsed.state === 'hello') assert.ok(parsed.sni === null || parsed.sni === NAME);
    // A prefix of an accepted hello never names another host.
    assert.notEqual(helloVerdict(hello.subarray(0, hello.length >> 1), NAME), 'mismatch');
  }

  const head = readHead(data.subarray(2 + helloLen).toString('latin1'));
  if (head === null) return;
  const decided = tunnelRequestTarget(head, NAME, PORT, VIA_ID);
  if (decided.kind === 'refuse') {
    assert.ok([400, 421, 508].includes(decided.status));
    return;
  }
  const t = decided.target;
  assert.ok(head.host !== undefined && hostMatches(head.host, NAME, PORT), 'judged only for its own host');
  assert.equal(t.host, NAME);
  assert.ok(t.originForm.startsWith('/'));
  // What the origin gets is what was judged.
  const again = parseHttpTarget(`http://${NAME}${t.originForm}`);
  assert.ok(again !== null, 'the forwarded target parses');
  assert.equal(again.policyPath, t.policyPath, `${JSON.stringify(head.url)} → ${t.originForm}`);
  assert.equal(again.query, t.query);
  // A literal installer path is always blocked.
  const blocked = urlRuleMatches(RULE, t.policyPath!, t.query);
  if (/^\/weixin\/[A-Za-z0-9._-]*$/.test(head.url) && !head.url.includes('..')) assert.ok(blocked, head.url);
}
