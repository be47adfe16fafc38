// The syslog sink: RFC 5424 messages over UDP (RFC 5426, one message per datagram), TCP (RFC 6587
// octet counting) or TLS (RFC 5425, octet counting), for the security team's SIEM. TCP and TLS
// reconnect with a bounded buffer; UDP never waits. Every loss is counted.
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import type { PolicyEvent } from '../event.ts';
import type { EventSink } from '../event-sink.ts';
import { ReconnectingWriter } from '../reconnecting-writer.ts';
import { formatRfc5424, type Facility, type SyslogIdentity } from './rfc5424.ts';

export interface SyslogSinkOptions {
  /** `udp://host:port`, `tcp://host:port` or `tls://host:port`. */
  readonly url: string;
  readonly facility: Facility;
  /** TLS: CA file to verify the collector with (the system store otherwise), and its name. */
  readonly ca?: string;
  readonly servername?: string;
  readonly maxBuffered: number;
}

/** The largest UDP message sent whole (RFC 5426 asks receivers for at least 2048; most take 8 KiB). */
const MAX_DATAGRAM = 8192;

export function parseSyslogUrl(url: string): { proto: 'udp' | 'tcp' | 'tls'; host: string; port: number } {
  const u = new URL(url);
  const proto = u.protocol.slice(0, -1);
  if (proto !== 'udp' && proto !== 'tcp' && proto !== 'tls') {
    throw new Error(`${url}: syslog URLs are udp://, tcp:// or tls://`);
  }
  const defaultPort = proto === 'udp' ? 514 : proto === 'tcp' ? 601 : 6514;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw new Error(`${url}: no host`);
  return { proto, host, port: u.port === '' ? defaultPort : Number(u.port) };
}

export class SyslogSink implements EventSink {
  readonly name = 'syslog';
  private readonly id: SyslogIdentity;
  private readonly udp: dgram.Socket | null = null;
  private readonly stream: ReconnectingWriter | null = null;
  private readonly host: string;
  private readonly port: number;
  private udpDropped = 0;

  constructor(opts: SyslogSinkOptions) {
    const { proto, host, port } = parseSyslogUrl(opts.url);
    this.host = host;
    this.port = port;
    this.id = { facility: opts.facility, hostname: os.hostname(), appName: 'banwall', procId: process.pid };
    if (proto === 'udp') {
      this.udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
      this.udp.on('error', () => this.udpDropped++);
      this.udp.unref();
      return;
    }
    const ca = opts.ca === undefined ? undefined : readFileSync(opts.ca);
    this.stream = new ReconnectingWriter({
      maxBuffered: opts.maxBuffered,
      connectEvent: proto === 'tls' ? 'secureConnect' : 'connect',
      connect: () =>
        proto === 'tls'
          ? tls.connect({
              host,
              port,
              ca,
              servername: opts.servername ?? (net.isIP(host) ? undefined : host),
            })
          : net.connect(port, host),
    });
  }

  get dropped(): number {
    return this.udpDropped + (this.stream?.dropped ?? 0);
  }

  get connected(): boolean {
    return this.udp !== null || (this.stream?.connected ?? false);
  }

  offer(e: PolicyEvent): void {
    const msg = Buffer.from(formatRfc5424(e, this.id));
    if (this.udp !== null) {
      if (msg.length > MAX_DATAGRAM) {
        this.udpDropped++;
        return;
      }
      this.udp.send(msg, this.port, this.host, (err) => {
        if (err) this.udpDropped++;
      });
      return;
    }
    // RFC 6587 §3.4.1 octet counting: "LEN SP MSG", safe for messages that contain line breaks.
    this.stream!.write(Buffer.concat([Buffer.from(`${msg.length} `), msg]));
  }

  close(): Promise<void> {
    if (this.udp !== null) {
      this.udp.close();
      return Promise.resolve();
    }
    return this.stream!.close();
  }
}
