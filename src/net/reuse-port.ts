// Whether this process binds its DNS sockets with SO_REUSEPORT: true in a node:cluster worker of
// `dns.workers`, so the kernel spreads queries over the workers with no hand-off through the primary.
// Lives here, below the DNS front ends, so that they need not import the cluster supervisor above them.
import type cluster from 'node:cluster';

/**
 * `cluster.isWorker`, without loading node:cluster where it cannot be true (8 ms of a start here, with
 * child_process): a cluster worker always has the IPC channel its primary forked it with (and Node
 * has loaded node:cluster in it before any of our code), so a process without one is no worker.
 */
export const IS_CLUSTER_WORKER: boolean =
  process.channel !== undefined &&
  // getBuiltinModule returns the module's exports object (what a default import gives).
  (process.getBuiltinModule('node:cluster') as unknown as typeof cluster).isWorker;

export const REUSE_PORT: boolean = IS_CLUSTER_WORKER;
