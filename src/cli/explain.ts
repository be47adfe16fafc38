// `banwall explain NAME [--client IP] [--type TYPE]`: the decision for a name (or an IP address) and
// every rule that matched, with list, file:line, app and category, and the allow rule that won.
import type { CliArgs } from '../cli.ts';
import { ConfigError, configPath, loadConfig } from '../config/load.ts';
import { PolicyStore } from '../policy/store.ts';
import { explainName, formatExplain } from '../policy/explain.ts';
import { createLogger } from '../log.ts';

export async function run(args: CliArgs): Promise<number> {
  const name = args.positionals[0];
  if (!name) {
    process.stderr.write('usage: banwall explain NAME [--client IP] [--type TYPE] [--config FILE]\n');
    return 2;
  }
  let loaded;
  try {
    loaded = await loadConfig(configPath(args.config));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const store = new PolicyStore(createLogger('silent'), { refresh: false, watch: false });
  try {
    await store.load(loaded);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  } finally {
    store.close();
  }
  const result = explainName(store.current, name, args.client ?? '127.0.0.1', args.type ?? 'A');
  process.stdout.write(`${formatExplain(result)}\n`);
  return 0;
}
