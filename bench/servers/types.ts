// What the harness needs from each server it benchmarks: start it on a loopback port, know when it
// is ready, stop it. Each adapter writes its server's native config into its own directory.
import type { Started } from '../lib/procs.ts';

export interface RunningServer {
  readonly name: string;
  readonly proc: Started;
  /** The port clients use (DNS: UDP+TCP; proxy: TCP). */
  readonly port: number;
  /** Milliseconds from spawn to the first correct answer. */
  readonly readyMs: number;
}

export interface DnsPeer {
  readonly name: string;
  /** False for a server that loads no list: no start-up rows. */
  readonly loadsLists?: boolean;
  /** Only the largest list (one start per round): for columns whose start-up rows add nothing. */
  readonly largestListOnly?: boolean;
  /** Starts with a blocklist of `listSize` names, forwarding misses to 127.0.0.1:`upstreamPort`. */
  start(listSize: number, upstreamPort: number): Promise<RunningServer>;
}

export interface ProxyPeer {
  readonly name: string;
  /** Starts with the proxy blocklist; `upstreamPort` is the loopback DNS upstream (if it resolves). */
  start(upstreamPort: number): Promise<RunningServer>;
}
