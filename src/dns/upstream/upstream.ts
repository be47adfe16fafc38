// One upstream server: its transport, its health (EWMA latency and error rate, set aside with
// exponential backoff after failures and probed again after), and its counters for the metrics.
import type { Logger } from '../../log.ts';
import { FastHistogram } from '../../metrics/fast-histogram.ts';
import { readAnswer } from '../wire/answer-facts.ts';
import type { Exchange } from './exchange.ts';
import { FAIL_REASONS, type FailReason, type Transport, type TransportSink } from './transport.ts';
import { UdpTransport } from './udp-transport.ts';
import { StreamTransport } from './stream-transport.ts';
import { DohTransport } from './doh-transport.ts';
import type { UpstreamAddress } from './upstream-url.ts';
import { sendProbe } from './health-probe.ts';
import { FLAG_TC, RCODE } from '../wire/constants.ts';

const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
const LATENCY_ALPHA = 0.2;
const ERROR_ALPHA = 0.1;

export interface UpstreamOptions {
  readonly timeoutMs: number;
  readonly log: Logger;
  /** Extra trusted CA for DoT/DoH (tests). */
  readonly ca?: string | Buffer;
  /** How often a UDP upstream gets a new socket (source port); tests shorten it. */
  readonly udpRotateMs?: number;
}

export class Upstream implements TransportSink {
  readonly address: UpstreamAddress;
  readonly url: string;
  /** EWMA of answer round trips, ms; 0 until the first answer. */
  latencyMs = 0;
  /** EWMA of the failure ratio (0..1). */
  errorRate = 0;
  /** Consecutive failure periods; 0 = healthy. */
  failures = 0;
  /** performance.now() before which the upstream is set aside. */
  downUntil = 0;
  /** performance.now() of its last answer other than REFUSED (probe or query); -Infinity before. */
  lastAnswerAt = Number.NEGATIVE_INFINITY;
  /** Answers by rcode (0..15). */
  readonly answers = new Float64Array(16);
  readonly errors: Record<FailReason, number>;
  /** Answer round trips, seconds (typed arrays: published by metrics.ts at scrape time). */
  readonly durations = new FastHistogram();
  private readonly transport: Transport;
  private tcpFallback: StreamTransport | null = null;
  private readonly opts: UpstreamOptions;
  private probeTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(address: UpstreamAddress, opts: UpstreamOptions) {
    this.address = address;
    this.url = address.url;
    this.opts = opts;
    this.errors = Object.fromEntries(FAIL_REASONS.map((r) => [r, 0])) as Record<FailReason, number>;
    const { host, port, servername } = address;
    switch (address.protocol) {
      case 'udp':
        this.transport = new UdpTransport(host, port, opts.timeoutMs, this, opts.udpRotateMs);
        break;
      case 'tcp':
        this.transport = new StreamTransport({ host, port }, opts.timeoutMs, this);
        break;
      case 'tls':
        this.transport = new StreamTransport({ host, port, servername, ca: opts.ca }, opts.timeoutMs, this);
        break;
      case 'https':
        this.transport = new DohTransport(address, opts.timeoutMs, this, opts.ca);
        break;
    }
  }

  /**
   * Lower is better: latency inflated by the recent error rate. The latency is at least the age of
   * the oldest query still waiting, so an upstream that has gone slow or silent drops out of the race
   * at once, long before its answers (or timeouts) come back to be measured. Unmeasured upstreams
   * score best, so they get measured.
   */
  score(now: number): number {
    const oldest = this.transport.oldestPending();
    const waiting = oldest < 0 ? 0 : now - oldest;
    const latency = waiting > this.latencyMs ? waiting : this.latencyMs;
    return (latency + 1) * (1 + 10 * this.errorRate);
  }

  get healthy(): boolean {
    return this.failures === 0;
  }

  /** Sends one attempt of `ex`; false when the transport cannot take it (counted as overload). */
  send(ex: Exchange): boolean {
    if (!this.transport.send(ex, ex.outgoing())) {
      this.errors.overload++;
      return false;
    }
    ex.inFlight++;
    ex.tried.push(this);
    return true;
  }

  close(): void {
    this.closed = true;
    if (this.probeTimer !== null) clearTimeout(this.probeTimer);
    this.probeTimer = null;
    this.transport.close();
    this.tcpFallback?.close();
  }

  answered(ex: Exchange, msg: Buffer, rttMs: number, via: Transport): void {
    if ((msg.readUInt16BE(2) & FLAG_TC) !== 0 && via.kind === 'udp') {
      // Truncated: ask the same server again over TCP (RFC 7766); the attempt stays in flight. Checked
      // before parsing: a truncated answer may be cut in the middle of a record.
      this.tcpFallback ??= new StreamTransport(
        { host: this.address.host, port: this.address.port },
        this.opts.timeoutMs,
        this,
      );
      if (!this.tcpFallback.send(ex, ex.outgoingCopy())) this.failed(ex, 'overload');
      return;
    }
    const answer = readAnswer(msg);
    if (answer === null) return this.failed(ex, 'malformed');
    this.answers[answer.rcode]++;
    // REFUSED is no sign of service: an upstream that refuses banwall answers none of its clients.
    if (answer.rcode !== RCODE.REFUSED) this.lastAnswerAt = performance.now();
    this.durations.observe(rttMs / 1000);
    this.latencyMs = this.latencyMs === 0 ? rttMs : this.latencyMs + LATENCY_ALPHA * (rttMs - this.latencyMs);
    this.errorRate -= ERROR_ALPHA * this.errorRate;
    if (this.failures > 0) {
      this.opts.log.info({ upstream: this.url, latencyMs: Math.round(rttMs) }, 'upstream answers again');
      this.failures = 0;
      this.downUntil = 0;
    }
    ex.inFlight--;
    ex.strategy.onAnswer(ex, this, answer);
  }

  failed(ex: Exchange, reason: FailReason): void {
    this.errors[reason]++;
    this.errorRate += ERROR_ALPHA * (1 - this.errorRate);
    const now = performance.now();
    // Escalate once per backoff period: the many queries in flight when a server dies are one event.
    if (now >= this.downUntil) {
      this.failures++;
      const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(this.failures - 1, 10));
      this.downUntil = now + backoff;
      if (this.failures === 1) {
        this.opts.log.warn({ upstream: this.url, reason, backoffMs: backoff }, 'upstream set aside');
      }
    }
    this.scheduleProbe();
    ex.inFlight--;
    ex.strategy.onFailure(ex, this, reason);
  }

  /** A probe when the backoff ends, unless client traffic has probed (and healed) it meanwhile. */
  private scheduleProbe(): void {
    if (this.probeTimer !== null || this.closed) return;
    this.probeTimer = setTimeout(this.probe, Math.max(0, this.downUntil - performance.now()) + 10);
    this.probeTimer.unref();
  }

  private readonly probe = (): void => {
    this.probeTimer = null;
    if (this.closed || this.failures === 0) return;
    const now = performance.now();
    if (now < this.downUntil) return this.scheduleProbe(); // a client query is probing it now
    this.downUntil = now + this.opts.timeoutMs; // one probe at a time, as parallel-best does
    sendProbe(this);
  };

  stray(reason: FailReason): void {
    this.errors[reason]++;
  }

  bug(err: unknown): void {
    this.opts.log.error({ err, upstream: this.url }, 'upstream answer handling failed');
  }
}
