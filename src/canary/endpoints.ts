// Where the probes go: banwall's own bound listeners, reached on the host itself. A wildcard listener
// is asked on 127.0.0.1; a listener on a specific IPv4 address on that address (local, so the packet
// stays on the host); an IPv6-only listener cannot be reached from the IPv4 probe source and is
// skipped with that reason.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import type { CanaryLayer } from './config.ts';
import type { HostPort, TlsTarget } from './dns-probe.ts';
import type { ProxyTarget } from './proxy-probe.ts';

/** What the app has bound (port 0 resolved). */
export interface BoundListeners {
  readonly dns: readonly HostPort[];
  readonly dot: readonly HostPort[];
  readonly doh: readonly (HostPort & { path: string })[];
  readonly proxy: readonly HostPort[];
}

export interface Endpoints {
  readonly udp?: HostPort;
  readonly tcp?: HostPort;
  readonly dot?: TlsTarget;
  readonly doh?: TlsTarget;
  readonly proxy?: ProxyTarget;
  /** Configured layers that cannot be probed, with the reason. */
  readonly unreachable: ReadonlyMap<CanaryLayer, string>;
}

/** The address a probe from an IPv4 loopback source can reach `a` on, or null. */
function probeAddress(a: HostPort): HostPort | null {
  if (a.host === '0.0.0.0' || a.host === '::') return { host: '127.0.0.1', port: a.port };
  return net.isIPv4(a.host) ? a : null;
}

/** A loopback or wildcard listener first: its probes stay on the loopback interface. */
function first(list: readonly HostPort[]): HostPort | null {
  const usable = list.map(probeAddress).filter((a): a is HostPort => a !== null);
  return usable.find((a) => a.host.startsWith('127.')) ?? usable[0] ?? null;
}

/** The name a certificate is for: its first DNS subjectAltName, else its first IP, else its CN. */
export function certificateName(pem: Buffer): string {
  const cert = new X509Certificate(pem);
  const san = cert.subjectAltName ?? '';
  const dns = /(?:^|, )DNS:([^,\s]+)/.exec(san)?.[1];
  if (dns !== undefined) return dns.replace(/^\*\./, 'banwall-canary.');
  const ip = /(?:^|, )IP Address:([^,\s]+)/.exec(san)?.[1];
  if (ip !== undefined) return ip;
  return /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1] ?? 'localhost';
}

export async function resolveEndpoints(
  cfg: Config,
  dir: string,
  bound: BoundListeners,
  layers: readonly CanaryLayer[],
): Promise<Endpoints> {
  const unreachable = new Map<CanaryLayer, string>();
  const out: { -readonly [K in keyof Endpoints]: Endpoints[K] } = { unreachable };
  const want = new Set(layers);
  const dns = first(bound.dns);
  if (dns === null) {
    for (const l of ['udp', 'tcp'] as const)
      if (want.has(l)) unreachable.set(l, 'no IPv4 or wildcard dns.listen address');
  } else {
    if (want.has('udp')) out.udp = dns;
    if (want.has('tcp')) out.tcp = dns;
  }
  for (const layer of ['dot', 'doh'] as const) {
    const tlsCfg = cfg.dns[layer];
    if (!want.has(layer) || tlsCfg === undefined) continue;
    const addr = first(bound[layer]);
    if (addr === null) {
      unreachable.set(layer, `no IPv4 or wildcard dns.${layer}.listen address`);
      continue;
    }
    try {
      // Read each round: a renewed certificate is what clients get from now on.
      const ca = await readFile(path.resolve(dir, tlsCfg.cert));
      const target = { ...addr, ca, servername: certificateName(ca) };
      out[layer] = layer === 'doh' ? { ...target, path: bound.doh[0]?.path ?? '/dns-query' } : target;
    } catch (err) {
      unreachable.set(layer, `cannot read dns.${layer}.cert: ${(err as Error).message}`);
    }
  }
  if (cfg.proxy && (want.has('http') || want.has('connect'))) {
    const addr = first(bound.proxy);
    if (addr === null) {
      for (const l of ['http', 'connect'] as const)
        if (want.has(l)) unreachable.set(l, 'no IPv4 or wildcard proxy.listen address');
    } else {
      const user = Object.entries(cfg.proxy.auth?.users ?? {})[0];
      out.proxy = user
        ? { ...addr, authorization: `Basic ${Buffer.from(`${user[0]}:${user[1]}`).toString('base64')}` }
        : addr;
    }
  }
  return out;
}
