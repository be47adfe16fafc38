// `banwall serve`: start everything, reload on SIGHUP, drain and exit 0 on SIGTERM/SIGINT; write the
// PID file once every listener is bound; stop when the process that started banwall exits (npm).
import type { CliArgs } from './args.ts';
import { loadCommandConfig, type ConfigFailure } from './config-arg.ts';
import { configPath } from '../config/config-error.ts';
import { keptConfig } from '../config/load-isolated.ts';
import { createLogger, type Logger } from '../log.ts';
import type { Banwall } from '../app.ts';
import { clusterRole } from '../cluster/role.ts';
import { claimPidFile, PidFileError, writePidFile } from './pid-file.ts';
import { startedByNpm, watchParent } from './parent-watch.ts';

/** A config that does not load is refused like a bad command line: exit 2. */
const REFUSE_TO_START: ConfigFailure = { prefix: 'banwall: refusing to start: ', exitCode: 2 };

/** What the serving process (single or cluster primary, never a worker) does once it serves. */
function serving(args: CliArgs, log: Logger, parent: number): void {
  if (args.pidFile !== undefined) {
    try {
      writePidFile(args.pidFile);
    } catch (err) {
      log.error({ err }, 'cannot write the PID file; serving without it');
    }
  }
  if (args.exitWithParent || startedByNpm()) {
    // Through our own SIGTERM handler, so that a cluster primary drains its workers the same way.
    watchParent(parent, () => {
      log.warn({ parent }, 'the process that started banwall exited; stopping');
      process.kill(process.pid, 'SIGTERM');
    });
  }
}

export async function run(args: CliArgs): Promise<number> {
  const parent = process.ppid;
  // A config validated before from the same bytes by the same code (src/config/validated-cache.ts) is
  // here at once; then the policy snapshot file is read (prefetchSnapshot) while the app's modules
  // load, instead of after them (60–80 ms of a 1 M list's start here).
  const kept = keptConfig(configPath(args.config));
  if (kept !== null && clusterRole(kept.config) !== 'primary') {
    // Awaited (one small module): Node fetches the app's graph below synchronously, and the read
    // must be under way before that.
    const { prefetchSnapshot } = await import('../policy/snapshot-prefetch.ts');
    prefetchSnapshot(kept);
  }
  // The app's module graph (~150 modules) loads on this thread while a config not validated before is
  // validated on its own (src/config/load-isolated.ts): the two took 0.4–0.7 s each, one after the
  // other, on the way to the first answer. The cost: a cluster primary (`dns.workers` > 1, known only
  // from the config) holds the modules it does not run (~30 MB); a single process, the default, needs
  // them all.
  const appModule = import('../app.ts');
  appModule.catch(() => undefined); // a failure is reported where it is awaited, below
  let loaded = kept ?? (await loadCommandConfig(args, REFUSE_TO_START));
  if (typeof loaded === 'number') return loaded;
  // `dns.workers` > 1: this process supervises the workers (src/cluster/), or is one of them. Workers
  // get the same command line: the PID file and the parent are the primary's business.
  const role = clusterRole(loaded.config);
  if (args.pidFile !== undefined && role !== 'worker') {
    try {
      claimPidFile(args.pidFile);
    } catch (err) {
      if (!(err instanceof PidFileError)) throw err;
      process.stderr.write(`banwall: refusing to start: ${err.message}\n`);
      return 2;
    }
  }
  const log = createLogger(process.env.BANWALL_LOG_LEVEL ?? loaded.config.log.level);
  log.info({ config: loaded.file }, 'starting');
  // The cluster's parts (prom-client's aggregator with them) are imported only in a cluster, and
  // after the config: a single process reaches its first answer without them.
  if (role === 'primary') {
    const { runPrimary } = await import('../cluster/primary.ts');
    const code = await runPrimary(loaded, log);
    if (code < 0) serving(args, log, parent);
    return code;
  }
  const cluster = role === 'worker' ? await import('../cluster/worker.ts') : null;
  if (cluster !== null) loaded = cluster.workerConfig(loaded);
  // Started above, not a static import: a cluster primary never builds the resolver, the proxy or
  // the policy (about 120 MB it would otherwise carry for nothing).
  const { Banwall } = await appModule;
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
  if (cluster !== null) cluster.announceWorker(app, log);
  else serving(args, log, parent);
  return -1;
}
