// A fake upstream and a real banwall process in front of it, for the tests of one file or one
// `describe`: a `before` hook starts both, an `after` hook stops both, so that a test file states
// only what the upstream serves and how banwall is configured.
import { after, before } from 'node:test';
import { startBanwall, testConfig, type RunningBanwall } from './banwall.ts';
import { startFakeUpstream, type FakeUpstream, type FakeUpstreamOptions } from './fake-upstream/dns.ts';

export interface BanwallSetup {
  /** The fake upstream: its zone, UDP limit, ... */
  readonly upstream?: FakeUpstreamOptions;
  /** `testConfig` overrides (merged at the top level; `dns` into the test's `dns`). */
  readonly config?: Record<string, unknown>;
  /** `startBanwall` options: its dir, environment. */
  readonly start?: Parameters<typeof startBanwall>[1];
}

/** What the hooks started; read it inside the tests (it is empty until `before` has run). */
export interface BanwallSuite {
  up: FakeUpstream;
  bw: RunningBanwall;
  /** The config banwall was started with (to restart it with the same). */
  config: Record<string, unknown>;
}

/**
 * Registers the hooks in the file or `describe` it is called in. `setup` runs in the `before` hook
 * (it may write list files first).
 */
export function banwallSuite(setup: BanwallSetup | (() => Promise<BanwallSetup>)): BanwallSuite {
  const suite = {} as BanwallSuite;
  before(async () => {
    const s = typeof setup === 'function' ? await setup() : setup;
    suite.up = await startFakeUpstream(s.upstream);
    suite.config = testConfig([suite.up.url], s.config);
    suite.bw = await startBanwall(suite.config, s.start);
  });
  after(async () => {
    // Bounded: a banwall stuck (in a regex, say) could not run its SIGTERM handler.
    const killer = setTimeout(() => suite.bw?.proc.kill('SIGKILL'), 5000);
    await suite.bw?.stop();
    clearTimeout(killer);
    await suite.up?.close();
  });
  return suite;
}
