// Structured JSON logs (pino). Nothing here is called per query: the query log has its own path.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = process.env.BANWALL_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { name: 'banwall' } });
}
