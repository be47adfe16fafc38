// The messages the primary and the workers exchange over the cluster IPC channel.
import type { ReloadResult } from '../api/admin-ops.ts';

/** Environment variable carrying the DNS listen addresses the primary resolved (port 0 → a real port). */
export const LISTEN_ENV = 'BANWALL_CLUSTER_DNS_LISTEN';

export type ToWorker = { type: 'banwall:reload'; id: number } | { type: 'banwall:flush'; id: number };

export type FromWorker =
  | { type: 'banwall:ready'; httpPort: number; dns: { protocol: string; host: string; port: number }[] }
  | { type: 'banwall:reloaded'; id: number; result: ReloadResult }
  | { type: 'banwall:flushed'; id: number; entries: number; bytes: number };

export function isFromWorker(m: unknown): m is FromWorker {
  return typeof m === 'object' && m !== null && String((m as { type?: unknown }).type).startsWith('banwall:');
}

export function isToWorker(m: unknown): m is ToWorker {
  const t = (m as { type?: unknown } | null)?.type;
  return t === 'banwall:reload' || t === 'banwall:flush';
}
