// The fixture of the proxy's end-to-end tests: a real banwall process (`banwall serve`) with its
// proxy on loopback, in front of a fake upstream DNS that sends the test names to loopback origins,
// and (for interception) a CA for banwall and an origin certificate that banwall trusts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBanwall, testConfig, type RunningBanwall } from '../helpers/banwall.ts';
import { startFakeUpstream, type FakeRecord, type FakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { issueLeaf, makeCa, type Pem } from '../helpers/certs.ts';
import { startTlsOrigin } from './fixtures.ts';

export interface ProxiedBanwall {
  readonly up: FakeUpstream;
  readonly bw: RunningBanwall;
  /** banwall's directory (config, list cache, CA files). */
  readonly dir: string;
  /** `http://127.0.0.1:PORT` of banwall's proxy, for `curl -x`. */
  readonly proxyUrl: string;
  /** Stops banwall, the upstream and whatever was started with them; removes `dir`. */
  close(): Promise<void>;
}

export interface ProxiedBanwallOptions {
  /** What the fake upstream answers (`aRecords` for the usual names → 127.0.0.1). */
  readonly zone: Record<string, FakeRecord[]>;
  /** `testConfig` overrides other than `proxy` (lists, groups, dns, ...). */
  readonly config?: Record<string, unknown>;
  /** `proxy` settings over the loopback ones (see below). */
  readonly proxy?: Record<string, unknown>;
  /** banwall's directory, when the test wrote list files or CAs there first. */
  readonly dir?: string;
  /** TLS interception with this CA, trusting this origin CA. */
  readonly intercept?: InterceptTrust;
  /** Origins to close with banwall (also when banwall fails to start). */
  readonly closeWith?: readonly { close(): Promise<void> }[];
}

/** `names` answered with one A record each, `ip` (loopback by default), TTL 300. */
export function aRecords(names: readonly string[], ip = '127.0.0.1'): Record<string, FakeRecord[]> {
  return Object.fromEntries(names.map((n) => [n, [{ type: 'A', data: ip, ttl: 300 }]]));
}

export async function startProxiedBanwall(opts: ProxiedBanwallOptions): Promise<ProxiedBanwall> {
  const closeWith = opts.closeWith ?? [];
  const dir = opts.dir ?? (await mkdtemp(path.join(tmpdir(), 'banwall-proxy-')));
  let up: FakeUpstream | undefined;
  const closeRest = async () => {
    await up?.close();
    for (const c of closeWith) await c.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    up = await startFakeUpstream({ zone: opts.zone });
    const config = testConfig([up.url], {
      ...opts.config,
      proxy: {
        listen: ['127.0.0.1:0'],
        // The origins are on this host's loopback: refused by the shipped deniedTargets and, as the
        // host's own address, unless allowInternal lists it.
        deniedTargets: [],
        allowInternal: ['127.0.0.0/8'],
        ...(opts.intercept && { intercept: { ca: { cert: 'banwall-ca.pem', key: 'banwall-ca.key' } } }),
        ...opts.proxy,
      },
    });
    const env = opts.intercept && { NODE_EXTRA_CA_CERTS: opts.intercept.originCa.certFile };
    const bw = await startBanwall(config, { dir, env });
    if (!bw.proxyPort) throw new Error('banwall started without its proxy');
    const proxyUrl = `http://127.0.0.1:${bw.proxyPort}`;
    return {
      up,
      bw,
      dir,
      proxyUrl,
      close: async () => {
        await bw.stop();
        await closeRest();
      },
    };
  } catch (err) {
    await closeRest();
    throw err;
  }
}

/** banwall's interception CA (`banwall-ca.pem`/`.key` in its dir) and the CA of the test origin. */
export interface InterceptTrust {
  readonly bwCa: Pem;
  readonly originCa: Pem;
}

/**
 * In `dir`: banwall's interception CA, an origin CA, and a TLS origin on loopback serving a leaf of
 * that origin CA for `names` (banwall trusts it through NODE_EXTRA_CA_CERTS when `intercept` is set).
 */
export async function startTrustedOrigin(dir: string, names: string[]) {
  const trust: InterceptTrust = {
    bwCa: await makeCa(dir, 'banwall-ca', 'banwall test interception CA'),
    originCa: await makeCa(dir, 'origin-ca', 'test origin CA'),
  };
  const leaf = await issueLeaf(dir, 'origin', trust.originCa, names);
  const origin = await startTlsOrigin({ key: Buffer.from(leaf.key), cert: Buffer.from(leaf.cert) });
  return { ...trust, origin };
}
