// Which part this process plays under `dns.workers`: the only process (`single`), the supervisor of
// the worker processes (`primary`), or one of the workers (`worker`).
import os from 'node:os';
import { IS_CLUSTER_WORKER } from '../net/reuse-port.ts';
import type { Config } from '../config/schema.ts';

export type ClusterRole = 'single' | 'primary' | 'worker';

/** `dns.workers` as a count: `auto` is one per core the process may use. */
export function workerCount(cfg: Config): number {
  const w = cfg.dns.workers;
  return w === 'auto' ? os.availableParallelism() : w;
}

export function clusterRole(cfg: Config): ClusterRole {
  if (IS_CLUSTER_WORKER) return 'worker'; // node:cluster loads only where a cluster runs
  return workerCount(cfg) > 1 ? 'primary' : 'single';
}
