// Where the proxy may connect (issue 12.3), judged on the address actually dialled, after the name
// was resolved: a name that resolves to banwall's own address is caught like the literal.
//
//  1. `deniedTargets`: never, whatever else is configured.
//  2. banwall's own listeners (DNS, DoT/DoH, HTTP API, the proxy itself) on any address of this host:
//     never, not even for allowInternal (the admin API, /metrics and /api/top must stay out of reach).
//  3. An address of this host (every interface address, re-read every HOST_REFRESH_MS, plus loopback
//     and 0.0.0.0/::, which reach the host too) or, with `denyPrivate`, an internal range (RFC 1918,
//     CGNAT, ULA, link-local): refused unless `allowInternal` names the host or covers the address.
//
// Per connection: a typed-array port test and up to four CidrList.contains (each a Map lookup for an
// address seen before). No allocation on the allowed path.
import os from 'node:os';
import { isIP } from 'node:net';
import { CidrList } from '../net/cidr.ts';

/** What `denyPrivate` refuses (besides the host's own addresses, always refused). */
export const INTERNAL_RANGES: readonly string[] = [
  '10.0.0.0/8', // RFC 1918
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10', // CGNAT (RFC 6598): carrier and Kubernetes/Tailscale networks
  'fc00::/7', // IPv6 unique local addresses
  '169.254.0.0/16', // link-local: cloud metadata services
  'fe80::/10',
];

/** Always this host, whatever the interfaces say: loopback, and the unspecified address (0.0.0.0 reaches the host). */
const ALWAYS_LOCAL: readonly string[] = ['127.0.0.0/8', '::1/128', '0.0.0.0/8', '::/128'];

/** How often the interface addresses are re-read (a DHCP lease, a pod IP, an added interface). */
export const HOST_REFRESH_MS = 30_000;

export type TargetRefusal = 'denied' | 'listener' | 'self' | 'internal';

export interface TargetGuardConfig {
  readonly deniedTargets: readonly string[];
  readonly denyPrivate: boolean;
  readonly allowInternal: readonly string[];
}

/**
 * The host's interface addresses now (zone suffixes removed), plus the always-local ranges. When the
 * system will not list them (some sandboxes fail uv_interface_addresses), the always-local ranges.
 */
export function hostAddresses(interfaces?: ReturnType<typeof os.networkInterfaces>): string[] {
  const out = [...ALWAYS_LOCAL];
  try {
    interfaces ??= os.networkInterfaces();
  } catch {
    return out;
  }
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) {
      const address = a.address.split('%')[0];
      if (isIP(address) !== 0) out.push(address);
    }
  }
  return out;
}

export class TargetGuard {
  private readonly denied: CidrList;
  private readonly internal: CidrList | null;
  private readonly allowedNets: CidrList;
  /** allowInternal names: the name itself and its subdomains. */
  private readonly allowedNames: readonly string[];
  private local: CidrList;
  private localKey: string;
  /** 1 at each port a banwall listener is bound to. */
  private readonly listenerPorts = new Uint8Array(65536);
  private timer: NodeJS.Timeout | undefined;
  private readonly readHost: () => string[];

  constructor(cfg: TargetGuardConfig, readHost: () => string[] = hostAddresses) {
    this.denied = new CidrList(cfg.deniedTargets);
    this.internal = cfg.denyPrivate ? new CidrList(INTERNAL_RANGES) : null;
    const nets: string[] = [];
    const names: string[] = [];
    for (const entry of cfg.allowInternal) {
      if (isIP(entry.split('/')[0]) !== 0) nets.push(entry);
      else
        names.push(
          entry
            .toLowerCase()
            .replace(/^\*?\./, '')
            .replace(/\.$/, ''),
        );
    }
    this.allowedNets = new CidrList(nets);
    this.allowedNames = names;
    this.readHost = readHost;
    const host = readHost();
    this.local = new CidrList(host);
    this.localKey = host.join(',');
  }

  /** Starts re-reading the host's addresses; the timer does not keep the process alive. */
  watchHost(everyMs = HOST_REFRESH_MS): void {
    this.timer ??= setInterval(() => this.refreshHost(), everyMs).unref();
  }

  /** Re-reads the interface addresses; a new list is compiled only when they changed. */
  refreshHost(): void {
    const host = this.readHost();
    const key = host.join(',');
    if (key === this.localKey) return;
    this.local = new CidrList(host);
    this.localKey = key;
  }

  /** Marks ports banwall listens on (any protocol): the proxy never connects to them on this host. */
  protectPorts(ports: Iterable<number>): void {
    for (const p of ports) if (p > 0 && p < 65536) this.listenerPorts[p] = 1;
  }

  /** Why the proxy must not connect to `address:port` for a request to `host`, or null when it may. */
  check(address: string, port: number, host: string): TargetRefusal | null {
    if (this.denied.contains(address)) return 'denied';
    const self = this.local.contains(address);
    if (self && this.listenerPorts[port] === 1) return 'listener';
    if (!self && (this.internal === null || !this.internal.contains(address))) return null;
    if (this.allowedNets.contains(address) || this.allowsName(host)) return null;
    return self ? 'self' : 'internal';
  }

  /** The text of the 403 for a refusal. */
  static message(why: TargetRefusal, address: string, port: number): string {
    switch (why) {
      case 'denied':
        return `banwall: the proxy does not connect to ${address} (proxy.deniedTargets)`;
      case 'listener':
        return `banwall: ${address}:${port} is banwall itself; the proxy never connects to its own listeners`;
      case 'self':
        return `banwall: ${address} is an address of banwall's own host; the proxy connects there only when proxy.allowInternal lists it`;
      case 'internal':
        return `banwall: ${address} is an internal address (proxy.denyPrivate); the proxy connects there only when proxy.allowInternal names the service`;
    }
  }

  private allowsName(host: string): boolean {
    for (const name of this.allowedNames) {
      if (host === name) return true;
      if (host.length > name.length && host.endsWith(name) && host[host.length - name.length - 1] === '.') {
        return true;
      }
    }
    return false;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
