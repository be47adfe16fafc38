// `banwall explain NAME|URL|IP [--client IP] [--type TYPE] [--resolve] [--json]`: the decision for a
// name, a URL or an IP address and every rule that matched, with list, file:line, app and category,
// and the allow rule that won. Input is checked by src/explain/input.ts, as GET /api/explain does.
// --resolve asks the config's upstreams (banwall's own upstream client: same transports, forward
// zones and failover; no running banwall needed) and judges the live answer as the resolver does.
import type { CliArgs } from './args.ts';
import type { LoadedConfig } from '../config/load.ts';
import { loadCommandConfig } from './config-arg.ts';
import { PolicyStore } from '../policy/store.ts';
import { explainName, formatExplain } from '../policy/explain.ts';
import type { PolicySnapshot } from '../policy/snapshot.ts';
import { createLogger } from '../log.ts';
import { checkExplainInput, type ExplainInput } from '../explain/input.ts';
import { followLive, formatLive, type LiveJudgement } from '../explain/live.ts';
import { liveChain } from '../explain/live-chain.ts';

async function live(
  loaded: LoadedConfig,
  policy: PolicySnapshot,
  input: ExplainInput,
): Promise<LiveJudgement> {
  const [{ createUpstreamResolver }, { DnsStats }] = await Promise.all([
    import('../dns/upstream/upstream-resolver.ts'),
    import('../dns/stats/dns-stats.ts'),
  ]);
  const upstream = createUpstreamResolver(loaded.config.dns, new DnsStats(), createLogger('silent'));
  // The upstream sockets and the deadline timer are unref'd (a server never waits on them to exit):
  // hold the process open until the answer, or dns.timeout's SERVFAIL, is in.
  const hold = setInterval(() => {}, 60_000);
  try {
    return await followLive(liveChain(loaded.config.dns, upstream), policy, input);
  } finally {
    clearInterval(hold);
    await upstream.close();
  }
}

export async function run(args: CliArgs): Promise<number> {
  const checked = checkExplainInput({ subject: args.positionals[0], client: args.client, type: args.type });
  if (!checked.ok) {
    process.stderr.write(`banwall explain: ${checked.error}\n`);
    return 2;
  }
  const input = checked.input;
  const loaded = await loadCommandConfig(args);
  if (typeof loaded === 'number') return loaded;
  const store = new PolicyStore(createLogger('silent'), { refresh: false, watch: false });
  try {
    await store.load(loaded);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  } finally {
    store.close();
  }
  const policy = store.current;
  const result = explainName(policy, input.subject, input.client, input.type);
  const judged = args.resolve ? await live(loaded, policy, input) : undefined;
  if (args.json) {
    process.stdout.write(`${JSON.stringify(judged ? { ...result, live: judged } : result, null, 2)}\n`);
  } else {
    process.stdout.write(`${formatExplain(result)}\n${judged ? `${formatLive(judged)}\n` : ''}`);
  }
  // The policy's answer is printed either way; 1 says the live part could not be had.
  return judged?.decision === 'failed' ? 1 : 0;
}
