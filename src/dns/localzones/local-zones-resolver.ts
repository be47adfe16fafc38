// The local-zones link: special-use names (./zones.ts, listed in ./README.md) are answered here and
// never forwarded, as Unbound's built-in local zones are. Other names cost a few `endsWith` checks
// on the query name and no allocation.
import {
  ChainedResolver,
  type DnsAnswer,
  type DnsQuery,
  type MaybePromise,
  type Resolver,
} from '../resolver.ts';
import type { LocalZonesConfig } from './config.ts';
import { DEFAULT_ZONES, type ZoneSpec } from './zones.ts';
import { LOCAL_TTL, RECORD, writeLocalAnswer } from './local-answer.ts';
import { CLASS_IN, RCODE, TYPE } from '../wire/constants.ts';

interface Zone {
  readonly spec: ZoneSpec;
  readonly labels: number;
  /** Names holding data (PTR) and their ancestors inside the zone (empty non-terminals). */
  readonly existing: ReadonlySet<string>;
  readonly ptr: ReadonlySet<string>;
}

/** Whether `name` is `zone` or under it (`zone` '' is the root, above every name). */
export function isAtOrUnder(name: string, zone: string): boolean {
  if (zone === '') return true;
  if (!name.endsWith(zone)) return false;
  return name.length === zone.length || name.charCodeAt(name.length - zone.length - 1) === 0x2e;
}

function labelCount(name: string): number {
  let n = 1;
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) === 0x2e) n++;
  return n;
}

export class LocalZonesResolver extends ChainedResolver {
  /** Apex → zone; null marks a name under a local zone that goes to the upstreams. */
  private readonly zones = new Map<string, Zone | null>();
  /** The top labels of the zones (localhost, invalid, onion, arpa): the cheap first test. */
  private readonly tops: readonly string[];
  /** By character code: 1 when some top label ends with it (t, d, n, a): the cheaper test before. */
  private readonly lastChars = new Uint8Array(128);
  /** Queries answered here (published as banwall_dns_local_answers_total). */
  answered = 0;

  /** `forwardZones`: the `dns.forward` zones, which take the forwardable zones they cover. */
  constructor(next: Resolver, cfg: LocalZonesConfig, forwardZones: readonly string[]) {
    super(next);
    for (const spec of cfg.enabled ? DEFAULT_ZONES : []) {
      const over = [...cfg.forward, ...(spec.forwardable ? forwardZones : [])];
      if (over.some((z) => isAtOrUnder(spec.apex, z))) continue; // the whole zone is forwarded
      const existing = new Set<string>();
      for (const p of spec.ptr ?? []) {
        for (let n = p; n.length > spec.apex.length; n = n.slice(n.indexOf('.') + 1)) existing.add(n);
      }
      const zone = { spec, labels: labelCount(spec.apex), existing, ptr: new Set(spec.ptr ?? []) };
      this.zones.set(spec.apex, zone);
      for (const z of over) if (z !== spec.apex && isAtOrUnder(z, spec.apex)) this.zones.set(z, null);
    }
    const tops = new Set<string>();
    for (const apex of this.zones.keys()) tops.add(apex.slice(apex.lastIndexOf('.') + 1));
    this.tops = [...tops];
    for (const t of this.tops) this.lastChars[t.charCodeAt(t.length - 1) & 0x7f] = 1;
  }

  resolve(query: DnsQuery): MaybePromise<DnsAnswer> {
    const name = query.name;
    if (query.qclass !== CLASS_IN || !this.mayBeLocal(name)) return this.next.resolve(query);
    // The longest zone holding the name: only names under the special top labels get here.
    let zone = this.zones.get(name);
    for (let i = name.indexOf('.'); zone === undefined && i >= 0; i = name.indexOf('.', i + 1)) {
      zone = this.zones.get(name.slice(i + 1));
    }
    if (zone === undefined || zone === null) return this.next.resolve(query);
    const apexAt = apexOffset(query.packet, labelCount(name) - zone.labels, zone.labels);
    if (apexAt < 0) return this.next.resolve(query);
    this.answered++;
    return { wire: this.answer(query, name, zone, apexAt), result: 'allowed', ttl: LOCAL_TTL };
  }

  private mayBeLocal(name: string): boolean {
    const last = name.charCodeAt(name.length - 1);
    if (!(last < 128 && this.lastChars[last] === 1)) return false;
    for (let i = 0; i < this.tops.length; i++) if (isAtOrUnder(name, this.tops[i])) return true;
    return false;
  }

  private answer(query: DnsQuery, name: string, zone: Zone, apexAt: number): Buffer {
    const { packet, questionEnd: qEnd, qtype } = query;
    const atApex = name.length === zone.spec.apex.length;
    if (zone.spec.kind === 'localhost') {
      const rec = qtype === TYPE.A ? RECORD.a : qtype === TYPE.AAAA ? RECORD.aaaa : null;
      if (rec !== null) return writeLocalAnswer(packet, qEnd, RCODE.NOERROR, rec, apexAt);
    }
    if (atApex && (qtype === TYPE.SOA || qtype === TYPE.NS)) {
      const rec = qtype === TYPE.SOA ? RECORD.soa : RECORD.ns;
      return writeLocalAnswer(packet, qEnd, RCODE.NOERROR, rec, apexAt);
    }
    if (qtype === TYPE.PTR && zone.ptr.has(name)) {
      return writeLocalAnswer(packet, qEnd, RCODE.NOERROR, RECORD.ptr, apexAt);
    }
    const exists = atApex || zone.spec.kind === 'localhost' || zone.existing.has(name);
    return writeLocalAnswer(packet, qEnd, exists ? RCODE.NOERROR : RCODE.NXDOMAIN, null, apexAt);
  }
}

/**
 * Offset in `packet` of the question name's suffix after `skip` labels, checked to hold exactly
 * `rest` labels (a label with a dot inside would make the text and the wire disagree); -1 if not.
 */
function apexOffset(packet: Buffer, skip: number, rest: number): number {
  let off = 12;
  let apex = -1;
  for (let i = 0; ; i++) {
    if (i === skip) apex = off;
    const len = packet[off];
    if (len === undefined || len > 63) return -1;
    if (len === 0) return i === skip + rest && apex <= 0x3fff ? apex : -1;
    off += 1 + len;
  }
}
