// Parses an upstream URL. The host must be an IP literal: banwall resolves names for the network, so
// it must never need a resolver (itself) to find its own upstreams. For DoT and DoH the URL fragment
// carries the TLS servername (and the DoH Host), which is what the certificate is checked against.
import { isIP } from 'node:net';

export type UpstreamProtocol = 'udp' | 'tcp' | 'tls' | 'https';

export interface UpstreamAddress {
  readonly url: string;
  readonly protocol: UpstreamProtocol;
  /** IP literal, without brackets. */
  readonly host: string;
  readonly port: number;
  /** TLS servername (DoT, DoH); '' for udp/tcp. */
  readonly servername: string;
  /** DoH path, e.g. `/dns-query`; '' otherwise. */
  readonly path: string;
}

const DEFAULT_PORT: Record<UpstreamProtocol, number> = { udp: 53, tcp: 53, tls: 853, https: 443 };
const FORM =
  'udp://IP[:53], tcp://IP[:53], tls://IP[:853]#servername or https://IP[:443]/dns-query#servername';
const HOSTNAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** Returns the parsed address, or a message saying what is wrong (for the config error). */
export function parseUpstreamUrl(text: string): UpstreamAddress | string {
  const quoted = JSON.stringify(text);
  const m = /^([a-z]+):\/\/(\[[^\]]*\]|[^/:#?[\]]*)(?::(\d{1,5}))?(\/[^#?]*)?(?:#(.*))?$/i.exec(text);
  if (!m) return `${quoted} is not an upstream URL (${FORM})`;
  const scheme = m[1].toLowerCase();
  if (!(scheme in DEFAULT_PORT)) {
    return `${quoted} is not an upstream URL: unknown scheme "${scheme}://" (${FORM})`;
  }
  const protocol = scheme as UpstreamProtocol;
  const host = m[2].startsWith('[') ? m[2].slice(1, -1) : m[2];
  if (isIP(host) === 0) {
    return (
      `${quoted}: the upstream host must be an IP address, not "${host}" ` +
      '(banwall must not resolve its own upstreams; put the TLS name after "#")'
    );
  }
  if (m[2].startsWith('[') !== (isIP(host) === 6)) {
    return `${quoted}: write an IPv6 upstream in brackets, e.g. udp://[2620:10a:80bb::10]:53`;
  }
  const port = m[3] === undefined ? DEFAULT_PORT[protocol] : Number(m[3]);
  if (port < 1 || port > 65535) return `${quoted}: port ${m[3]} is out of range`;
  const pathPart = m[4] ?? '';
  const servername = m[5] ?? '';
  if (protocol === 'udp' || protocol === 'tcp') {
    if (pathPart !== '' && pathPart !== '/') return `${quoted}: a ${protocol}:// upstream takes no path`;
    if (servername !== '') return `${quoted}: a ${protocol}:// upstream takes no #servername`;
    return { url: text, protocol, host, port, servername: '', path: '' };
  }
  if (servername === '' || !HOSTNAME.test(servername)) {
    return (
      `${quoted}: a ${protocol}:// upstream needs its TLS name after "#" ` +
      `(e.g. ${protocol === 'tls' ? 'tls://149.112.121.10#private.canadianshield.cira.ca' : 'https://149.112.121.10/dns-query#private.canadianshield.cira.ca'})`
    );
  }
  if (protocol === 'tls') {
    if (pathPart !== '' && pathPart !== '/') return `${quoted}: a tls:// upstream takes no path`;
    return { url: text, protocol, host, port, servername: servername.replace(/\.$/, ''), path: '' };
  }
  return {
    url: text,
    protocol,
    host,
    port,
    servername: servername.replace(/\.$/, ''),
    path: pathPart === '' || pathPart === '/' ? '/dns-query' : pathPart,
  };
}
