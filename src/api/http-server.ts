// STUB (owned by the observability helper): /metrics, /healthz, /readyz, /api/*, /proxy.pac.
import type { Logger } from '../log.ts';
import type { AppHandle } from '../app-handle.ts';

export class HttpServer {
  constructor(_app: AppHandle, _log: Logger) {}
  async start(): Promise<void> {}
  addresses(): { host: string; port: number }[] {
    return [];
  }
  async stop(): Promise<void> {}
}
