// `banwall serve`: start everything, reload on SIGHUP, drain and exit 0 on SIGTERM/SIGINT.
import type { CliArgs } from '../cli.ts';
import { configPath, ConfigError, loadConfig } from '../config/load.ts';
import { createLogger } from '../log.ts';
import type { Banwall } from '../app.ts';
import { clusterRole } from '../cluster/role.ts';
import { runPrimary } from '../cluster/primary.ts';
import { announceWorker, workerConfig } from '../cluster/worker.ts';

export async function run(args: CliArgs): Promise<number> {
  let loaded;
  try {
    loaded = await loadConfig(configPath(args.config));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`banwall: refusing to start: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const log = createLogger(process.env.BANWALL_LOG_LEVEL ?? loaded.config.log.level);
  log.info({ config: loaded.file }, 'starting');
  // `dns.workers` > 1: this process supervises the workers (src/cluster/), or is one of them.
  const role = clusterRole(loaded.config);
  if (role === 'primary') return runPrimary(loaded, log);
  if (role === 'worker') loaded = workerConfig(loaded);
  // Imported here, not at the top: a cluster primary never loads the resolver, the proxy or the
  // policy engine (about 120 MB it would otherwise carry for nothing).
  const { Banwall } = await import('../app.ts');
  let app: Banwall;
  try {
    app = await Banwall.start(loaded, log);
  } catch (err) {
    log.fatal({ err }, 'cannot start');
    if (role === 'worker') process.exit(1); // the IPC channel would keep a worker alive
    return 1;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const grace = app.config().dns.shutdownGrace;
    log.info({ signal, graceMs: grace }, 'stopping');
    // A last resort: whatever still holds the loop after the grace period must not keep us alive.
    setTimeout(() => process.exit(0), grace + 1000).unref();
    app.stop(grace).then(
      () => {
        log.info('stopped');
        process.exitCode = 0;
        if (role === 'worker') process.disconnect(); // let the drained worker exit
      },
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => void app.reload('SIGHUP'));
  // A bug in one request must not take the resolver down for the whole network: log it and go on.
  process.on('uncaughtException', (err) => log.error({ err }, 'uncaught exception'));
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  if (role === 'worker') announceWorker(app, log);
  return -1;
}
