// The decisions an intercepted tunnel takes on what the client sends, as pure functions (the tunnel
// code applies them; fuzz/targets/intercept.ts drives them with arbitrary bytes):
//   - the ClientHello: it must be TLS and name the tunnel's host (or no host);
//   - each request inside: origin-form, Host naming the tunnel's host and port, no forwarding loop,
//     a path that parses, then the same HttpTarget the plain-HTTP forwarder would judge.
import { parseClientHello, MAX_HELLO } from '../tls-client-hello.ts';
import { parseHttpTarget, type HttpTarget } from '../target.ts';

export type HelloVerdict = 'wait' | 'ok' | 'not-tls' | 'invalid' | 'mismatch';

/** What to do with the bytes a client sent so far into a tunnel to be decrypted for `name`. */
export function helloVerdict(bytes: Buffer, name: string): HelloVerdict {
  const parsed = parseClientHello(bytes);
  switch (parsed.state) {
    case 'incomplete':
      // A ClientHello spread over many small records is joined up to MAX_HELLO (plus record headers).
      return bytes.length <= MAX_HELLO + 5 * 8 ? 'wait' : 'invalid';
    case 'not-tls':
      return 'not-tls';
    case 'invalid':
      return 'invalid';
    case 'hello':
      // The leaf is for the CONNECT's name only: another name is fronting.
      return parsed.sni === null || parsed.sni === name ? 'ok' : 'mismatch';
  }
}

/**
 * Whether a Host header names the tunnel's host: the name (any case, an optional trailing dot) with
 * no port or the tunnel's port. A request for another host inside the tunnel (fronting) gets 421.
 */
export function hostMatches(host: string, name: string, port: number): boolean {
  let h = host.toLowerCase();
  const colon = h.lastIndexOf(':');
  if (colon >= 0 && !h.endsWith(']')) {
    if (h.slice(colon + 1) !== String(port)) return false;
    h = h.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h === name;
}

export interface TunnelRequestHead {
  readonly httpVersionMajor: number;
  readonly url: string;
  readonly host: string | undefined;
  readonly via: string | undefined;
}

export type TunnelRequestDecision =
  | { readonly kind: 'judge'; readonly target: HttpTarget }
  | { readonly kind: 'refuse'; readonly status: 400 | 421 | 508; readonly message: string };

/** The request target inside a tunnel for `name:port`, or why the request is refused. */
export function tunnelRequestTarget(
  head: TunnelRequestHead,
  name: string,
  port: number,
  viaId: string,
): TunnelRequestDecision {
  const { url, host } = head;
  if (head.httpVersionMajor !== 1 || host === undefined || url.charCodeAt(0) !== 47 /* / */) {
    // Only origin-form requests with a Host header (RFC 9112 §3.2): absolute form, `*` and HTTP/0.9
    // would let the request name something the policy did not judge.
    return refuse(400, 'banwall: bad request: origin-form request with a Host header expected');
  }
  if (!hostMatches(host, name, port)) return refuse(421, `banwall: this connection serves ${name} only`);
  if (head.via !== undefined && head.via.includes(viaId))
    return refuse(508, 'banwall: forwarding loop detected (Via)');
  // Parsed as the plain-HTTP forwarder parses `http://name/path`: the same normalised path, the same
  // query, so the same URL rules match.
  const target = parseHttpTarget(`http://${name}${url}`);
  if (target === null || target.host !== name || target.policyPath === null)
    return refuse(400, 'banwall: bad request: malformed %-escape, %00, or a path encoded too deep');
  return { kind: 'judge', target };
}

function refuse(status: 400 | 421 | 508, message: string): TunnelRequestDecision {
  return { kind: 'refuse', status, message };
}
