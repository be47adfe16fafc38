// Reads the server name (SNI) from the first bytes a client sends into a CONNECT tunnel.
//
// Why a hand-written parser: node:tls can only read a ClientHello by terminating TLS, which is the
// interception banwall must not do, and a TLS library is a large dependency for one extension of one
// message, read from bytes an untrusted client controls. So this walks the ClientHello (RFC 8446 §4.1.2, RFC 6066 §3) with a bounds check before every read and
// gives up on anything it does not understand. A ClientHello may span several TLS records (large
// post-quantum key shares, or a client that fragments on purpose to hide the SNI); the fragments are
// joined, up to MAX_HELLO bytes.

/** The largest handshake message we are willing to buffer (a real ClientHello is 0.5–2 KiB). */
export const MAX_HELLO = 16 * 1024;

const RECORD_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
const NAME_TYPE_HOST = 0;

export type ClientHelloResult =
  /** More bytes are needed. */
  | { readonly state: 'incomplete' }
  /** A well-formed ClientHello; `sni` is lower-case without a trailing dot, or null when absent. */
  | { readonly state: 'hello'; readonly sni: string | null }
  /** The stream does not start with a TLS handshake record. */
  | { readonly state: 'not-tls' }
  /** A TLS handshake that is malformed, not a ClientHello, or larger than MAX_HELLO. */
  | { readonly state: 'invalid'; readonly reason: string };

const INCOMPLETE: ClientHelloResult = { state: 'incomplete' };
const NOT_TLS: ClientHelloResult = { state: 'not-tls' };

function invalid(reason: string): ClientHelloResult {
  return { state: 'invalid', reason };
}

/** Parses the ClientHello at the start of `buf` (everything the client sent so far). */
export function parseClientHello(buf: Buffer): ClientHelloResult {
  if (buf.length === 0) return INCOMPLETE;
  if (buf[0] !== RECORD_HANDSHAKE) return NOT_TLS;
  if (buf.length >= 2 && buf[1] !== 3) return NOT_TLS; // record version major is 3 for SSLv3..TLS1.3

  // Join the payloads of consecutive handshake records until the handshake message is whole.
  const parts: Buffer[] = [];
  let joined = 0;
  let need = -1; // total handshake message length (header included), once known
  let off = 0;
  while (need < 0 || joined < need) {
    if (off + 5 > buf.length) return INCOMPLETE;
    if (buf[off] !== RECORD_HANDSHAKE) return invalid('handshake interrupted by another record type');
    const len = buf.readUInt16BE(off + 3);
    if (len === 0) return invalid('empty handshake record');
    if (off + 5 + len > buf.length) {
      // Only a partial record so far; the header may still tell us the message is too large.
      if (need < 0 && len >= 4 && buf.length >= off + 9) {
        const early = 4 + buf.readUIntBE(off + 6, 3);
        if (early > MAX_HELLO) return invalid('ClientHello too large');
      }
      return INCOMPLETE;
    }
    parts.push(buf.subarray(off + 5, off + 5 + len));
    joined += len;
    off += 5 + len;
    if (need < 0 && joined >= 4) {
      const first = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      if (first[0] !== HANDSHAKE_CLIENT_HELLO) return invalid('first handshake message is not a ClientHello');
      need = 4 + first.readUIntBE(1, 3);
      if (need > MAX_HELLO) return invalid('ClientHello too large');
    }
    if (joined > MAX_HELLO + 4) return invalid('ClientHello too large');
  }
  const msg = parts.length === 1 ? parts[0] : Buffer.concat(parts);
  return readHello(msg.subarray(4, need));
}

/** Walks the ClientHello body to the server_name extension. */
function readHello(b: Buffer): ClientHelloResult {
  let p = 2 + 32; // legacy_version, random
  if (p + 1 > b.length) return invalid('truncated before session id');
  p += 1 + b[p]; // legacy_session_id
  if (p + 2 > b.length) return invalid('truncated before cipher suites');
  p += 2 + b.readUInt16BE(p); // cipher_suites
  if (p + 1 > b.length) return invalid('truncated before compression methods');
  p += 1 + b[p]; // legacy_compression_methods
  if (p === b.length) return { state: 'hello', sni: null }; // no extensions at all (TLS 1.0 style)
  if (p + 2 > b.length) return invalid('truncated before extensions');
  const end = p + 2 + b.readUInt16BE(p);
  if (end > b.length) return invalid('extensions overrun the message');
  p += 2;
  let sni: string | null = null;
  let seen = false;
  while (p < end) {
    if (p + 4 > end) return invalid('truncated extension header');
    const type = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    p += 4;
    if (p + len > end) return invalid('extension overruns the extensions block');
    if (type === EXT_SERVER_NAME) {
      // A second server_name extension is a protocol violation (RFC 8446 §4.2) and a way to show
      // one name to a middlebox and another to the server: refuse it rather than pick one.
      if (seen) return invalid('duplicate server_name extension');
      seen = true;
      const r = readServerName(b.subarray(p, p + len));
      if (typeof r !== 'string' && r !== null) return r;
      sni = r;
    }
    p += len;
  }
  return { state: 'hello', sni };
}

const HOSTNAME = /^[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*\.?$/;

function readServerName(e: Buffer): string | null | ClientHelloResult {
  if (e.length === 0) return null; // the empty form servers send back; tolerated
  if (e.length < 2 || 2 + e.readUInt16BE(0) !== e.length) return invalid('bad server_name list length');
  let p = 2;
  let host: string | null = null;
  while (p < e.length) {
    if (p + 3 > e.length) return invalid('truncated server_name entry');
    const nameType = e[p];
    const len = e.readUInt16BE(p + 1);
    p += 3;
    if (p + len > e.length) return invalid('server_name entry overruns the list');
    if (nameType === NAME_TYPE_HOST) {
      if (host !== null) return invalid('more than one host_name in server_name');
      const name = e.toString('latin1', p, p + len).toLowerCase();
      if (name.length === 0 || name.length > 254 || !HOSTNAME.test(name)) {
        return invalid('server_name is not a host name');
      }
      host = name.endsWith('.') ? name.slice(0, -1) : name;
    }
    p += len;
  }
  return host;
}
