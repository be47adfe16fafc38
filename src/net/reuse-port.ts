// Whether this process binds its DNS sockets with SO_REUSEPORT: true in a node:cluster worker of
// `dns.workers`, so the kernel spreads queries over the workers with no hand-off through the primary.
// Lives here, below the DNS front ends, so that they need not import the cluster supervisor above them.
import cluster from 'node:cluster';

export const REUSE_PORT: boolean = cluster.isWorker;
