// The dnstap sink: each DNS event becomes a CLIENT_QUERY and a CLIENT_RESPONSE message, the block
// decision in the message's Policy (rule, action, matched name) and the whole event as JSON in the
// `extra` field, over Frame Streams to a collector (fstrm_capture, Vector, go-dnscollector, dnsdist).
// Proxy events have no DNS message and are left to the other sinks.
import os from 'node:os';
import type { PolicyEvent } from '../../events/event.ts';
import type { EventSink } from '../../events/event-sink.ts';
import { addressKey } from '../../events/address-key.ts';
import { QTYPE_NUMBERS } from '../wire/qtypes.ts';
import { RCODE } from '../wire/constants.ts';
import { VERSION } from '../../version.ts';
import { DnstapType, MESSAGE_TYPE, POLICY_ACTION, POLICY_MATCH, SOCKET_PROTOCOL } from './schema.ts';
import { FrameStreamWriter, type FrameTarget } from './frame-stream.ts';

export const DNSTAP_CONTENT_TYPE = 'protobuf:dnstap.Dnstap';

export interface DnstapSinkOptions {
  readonly target: FrameTarget;
  /** The identity field: defaults to the host name, as BIND and Unbound do. */
  readonly identity?: string;
  readonly maxBuffered: number;
}

/** A presentation name (labels may hold `\.` escapes) in wire form. */
function nameWire(name: string): Buffer {
  const labels: Buffer[] = [];
  let label = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '\\' && i + 1 < name.length) {
      const ddd = /^\d{3}/.exec(name.slice(i + 1, i + 4));
      label += ddd ? String.fromCharCode(Number(ddd[0])) : name[i + 1];
      i += ddd ? 3 : 1;
    } else if (c === '.') {
      if (label !== '') labels.push(Buffer.from(label, 'latin1'));
      label = '';
    } else {
      label += c;
    }
  }
  if (label !== '') labels.push(Buffer.from(label, 'latin1'));
  const out: Buffer[] = [];
  for (const l of labels) out.push(Buffer.of(Math.min(l.length, 63)), l.subarray(0, 63));
  out.push(Buffer.of(0));
  return Buffer.concat(out);
}

function qtypeOf(kind: string): number {
  const known = QTYPE_NUMBERS[kind];
  if (known !== undefined) return known;
  const m = /^TYPE(\d+)$/.exec(kind);
  return m ? Number(m[1]) : 1;
}

/** The rcode mnemonic an event's answer starts with (`NXDOMAIN EDE 15` → 3). */
function rcodeOf(answer: string): number {
  const word = answer.split(' ', 1)[0] as keyof typeof RCODE;
  return RCODE[word] ?? 0;
}

/** A DNS message with one question, as the client asked it (query) or as banwall answered (response). */
export function dnsMessage(name: string, qtype: number, response: boolean, rcode = 0): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(response ? 0x8180 | (rcode & 0xf) : 0x0100, 2); // QR RD RA | RD
  header.writeUInt16BE(1, 4);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(qtype, 0);
  q.writeUInt16BE(1, 2);
  return Buffer.concat([header, nameWire(name), q]);
}

function timeParts(ms: number): { sec: number; nsec: number } {
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: Math.round((ms - sec * 1000) * 1e6) };
}

function policyAction(e: PolicyEvent, rcode: number): number {
  if (e.decision !== 'blocked') return POLICY_ACTION.PASS;
  if (rcode === RCODE.NXDOMAIN) return POLICY_ACTION.NXDOMAIN;
  if (rcode === RCODE.REFUSED) return POLICY_ACTION.DROP;
  return e.answer.startsWith('NOERROR') ? POLICY_ACTION.NODATA : POLICY_ACTION.LOCAL_DATA;
}

export class DnstapSink implements EventSink {
  readonly name = 'dnstap';
  private readonly writer: FrameStreamWriter;
  private readonly identity: Buffer;
  private readonly version = Buffer.from(`banwall ${VERSION}`);

  constructor(opts: DnstapSinkOptions) {
    this.identity = Buffer.from(opts.identity ?? os.hostname());
    this.writer = new FrameStreamWriter({
      target: opts.target,
      contentType: DNSTAP_CONTENT_TYPE,
      maxBuffered: opts.maxBuffered,
    });
  }

  get dropped(): number {
    return this.writer.dropped;
  }

  get connected(): boolean {
    return this.writer.connected;
  }

  offer(e: PolicyEvent): void {
    if (e.layer !== 'dns') return;
    const key = addressKey(e.client);
    const v4 = key[10] === 0xff && key[11] === 0xff && key.subarray(0, 10).every((b) => b === 0);
    const qtype = qtypeOf(e.kind);
    const rcode = rcodeOf(e.answer);
    const q = timeParts(e.time);
    const r = timeParts(e.time + e.durationMs);
    const common = {
      socketFamily: v4 ? 1 : 2,
      socketProtocol: SOCKET_PROTOCOL[e.protocol] ?? SOCKET_PROTOCOL.udp,
      queryAddress: v4 ? key.subarray(12) : key,
      queryTimeSec: q.sec,
      queryTimeNsec: q.nsec,
    };
    const extra = Buffer.from(JSON.stringify(e));
    const policy =
      e.decision === 'allowed'
        ? undefined
        : {
            type: 'banwall',
            rule: Buffer.from(e.rule),
            action: policyAction(e, rcode),
            match: POLICY_MATCH.QNAME,
            value: Buffer.from(e.target),
          };
    this.emit(extra, {
      ...common,
      type: MESSAGE_TYPE.CLIENT_QUERY,
      queryMessage: dnsMessage(e.target, qtype, false),
    });
    this.emit(extra, {
      ...common,
      type: MESSAGE_TYPE.CLIENT_RESPONSE,
      responseTimeSec: r.sec,
      responseTimeNsec: r.nsec,
      responseMessage: dnsMessage(e.target, qtype, true, rcode),
      policy,
    });
  }

  private emit(extra: Buffer, message: Record<string, unknown>): void {
    const payload = DnstapType.encode(
      DnstapType.fromObject({ identity: this.identity, version: this.version, extra, type: 1, message }),
    ).finish();
    this.writer.write(payload);
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}
