// The one prom-client registry. Each part registers its own metrics in its own `metrics.ts`
// (CoreDNS-style); hot-path parts count in plain numbers and publish them in `collect()`, since a
// labelled prom-client `inc` costs ~200 ns and a histogram `observe` ~380 ns (measured here).
import { Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();

let defaultsRegistered = false;

/** Process and Node metrics (`process_*`, `nodejs_*`), once per process. */
export function registerDefaultMetrics(): void {
  if (defaultsRegistered) return;
  defaultsRegistered = true;
  collectDefaultMetrics({ register: registry });
}
