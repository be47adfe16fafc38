// The proxy auto-config file served at /proxy.pac on banwall's HTTP port, built from the config so
// that devices can be pointed at the proxy automatically (WPAD, MDM, or the OS proxy setting).
//
// Policy choices, each deliberate:
// - No `DIRECT` fallback after the proxies: a device must not leave the policy when the proxy is
//   unreachable (fail closed). Operators who prefer availability add `DIRECT` themselves.
// - The PAC never resolves names (`isInNet` on a name blocks the browser on a DNS lookup): networks
//   apply only when the URL's host is already an IPv4 literal.
import { hostname } from 'node:os';
import type { Config } from '../config/schema.ts';

type Address = { readonly host: string; readonly port: number };

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

function proxyEntry(host: string, port: number): string {
  return `PROXY ${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/** IPv4 CIDR → [network, mask] in dotted form, for isInNet; null for IPv6 (PAC has no portable test). */
function ipv4Net(cidr: string): [string, string] | null {
  const [addr, bitsText] = cidr.split('/');
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(addr)) return null;
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const dotted = [24, 16, 8, 0].map((s) => (mask >>> s) & 0xff).join('.');
  return [addr, dotted];
}

/**
 * The PAC text. `addresses` are the proxy's bound listen addresses; `requestHost` (optional) is the
 * host name the device used to fetch the PAC, used when the proxy listens on a wildcard address and
 * `proxy.pac.proxies` does not say how devices reach it.
 */
export function buildPac(config: Config, addresses: readonly Address[], requestHost?: string): string {
  const proxy = config.proxy;
  const pac = proxy?.pac;
  let entries: string[];
  if (pac && pac.proxies.length > 0) {
    entries = pac.proxies.map((p) => `PROXY ${p}`);
  } else {
    const bound = addresses.length > 0 ? addresses : (proxy?.listen ?? []);
    const fallbackHost = requestHost?.replace(/:\d+$/, '') || hostname();
    entries = bound.map((a) => proxyEntry(isWildcard(a.host) ? fallbackHost : a.host, a.port));
    entries = [...new Set(entries)];
  }
  const route = entries.length > 0 ? entries.join('; ') : 'PROXY 127.0.0.1:3128';

  const direct = (pac?.direct ?? []).map((d) => d.replace(/^\*?\.?/, '').toLowerCase());
  const nets = (pac?.directNetworks ?? []).map(ipv4Net).filter((n): n is [string, string] => n !== null);
  nets.unshift(['127.0.0.0', '255.0.0.0']);

  const lines = [
    '// banwall proxy auto-config, generated from its config (proxy.pac). Fails closed: no DIRECT',
    "// fallback, so a device cannot leave the network's policy when the proxy is unreachable.",
    'function FindProxyForURL(url, host) {',
    '  host = host.toLowerCase();',
    '  if (isPlainHostName(host) || host === "localhost" || host === "::1" || host === "[::1]") {',
    '    return "DIRECT";',
    '  }',
  ];
  for (const d of direct) {
    lines.push(
      `  if (host === ${JSON.stringify(d)} || dnsDomainIs(host, ${JSON.stringify(`.${d}`)})) return "DIRECT";`,
    );
  }
  lines.push('  if (/^\\d+\\.\\d+\\.\\d+\\.\\d+$/.test(host)) {');
  for (const [net, mask] of nets) {
    lines.push(`    if (isInNet(host, ${JSON.stringify(net)}, ${JSON.stringify(mask)})) return "DIRECT";`);
  }
  lines.push('  }');
  lines.push(`  return ${JSON.stringify(route)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
