// Test fixtures for the proxy: a local HTTP origin, a local TLS origin (self-signed certificate made
// with openssl), a fake policy snapshot and a fake resolver chain, and a ProxyServer on loopback (curl is
// test/helpers/curl.ts).
import http, { type IncomingMessage, type Server } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { pino } from 'pino';
import type { BlockMatch, PolicySnapshot, RuleRef, UrlTarget } from '../../src/policy/snapshot.ts';
import type { PolicyStore } from '../../src/policy/store.ts';
import type { DnsAnswer, DnsQuery, Resolver } from '../../src/dns/resolver.ts';
import { proxySchema } from '../../src/proxy/config.ts';
import { ProxyServer } from '../../src/proxy/proxy-server.ts';
import { ProxyStats } from '../../src/proxy/proxy-stats.ts';
import { selfSigned } from '../helpers/certs.ts';
import { ROOT } from '../helpers/banwall.ts';
import { onCleanup, type Cleanup } from '../helpers/cleanup.ts';

export const silentLog = pino({ level: 'silent' });

// ---------------------------------------------------------------------------------------------
// Origins

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  closedEarly: boolean;
}

export interface Origin {
  readonly port: number;
  readonly host: string;
  readonly seen: SeenRequest[];
  /** Requests that are still open on the origin (the abort test waits for this to reach 0). */
  open: number;
  close(): Promise<void>;
}

/** `/slow` never answers, `/delay` answers after 300 ms, everything else at once: 200 with a JSON description. */
function originHandler(origin: Origin, name: string) {
  return (req: IncomingMessage, res: http.ServerResponse) => {
    const seen: SeenRequest = {
      method: req.method!,
      url: req.url!,
      headers: req.headers,
      closedEarly: false,
    };
    origin.seen.push(seen);
    origin.open++;
    let done = false;
    res.on('close', () => {
      origin.open--;
      if (!done) seen.closedEarly = true;
    });
    if (req.url!.startsWith('/slow')) return; // never answers
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => setTimeout(answer, req.url!.startsWith('/delay') ? 300 : 0));
    const answer = () => {
      const received = Buffer.concat(chunks).toString('utf8');
      const body = Buffer.from(
        JSON.stringify({
          origin: name,
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: received,
        }),
      );
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': body.length,
        'keep-alive': 'timeout=5',
        'x-origin': name,
      });
      done = true;
      res.end(body);
    };
  };
}

async function listen(server: Server, host: string): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  return (server.address() as AddressInfo).port;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

export async function startHttpOrigin(host = '127.0.0.1'): Promise<Origin> {
  const server = http.createServer();
  const origin: Origin = { port: 0, host, seen: [], open: 0, close: closer(server) };
  server.on('request', originHandler(origin, 'http'));
  Object.assign(origin, { port: await listen(server, host) });
  return origin;
}

/** A self-signed certificate for the test names, made by the real openssl. */
export async function makeCert(names: string[]): Promise<{ key: Buffer; cert: Buffer }> {
  const made = await selfSigned(names, 'banwall-proxy-cert-');
  await rm(made.dir, { recursive: true, force: true });
  return { key: Buffer.from(made.key), cert: Buffer.from(made.cert) };
}

export async function startTlsOrigin(
  cert: { key: Buffer; cert: Buffer },
  host = '127.0.0.1',
): Promise<Origin & { servernames: (string | false | null)[] }> {
  const server = https.createServer({ key: cert.key, cert: cert.cert });
  const origin = {
    port: 0,
    host,
    seen: [] as SeenRequest[],
    open: 0,
    servernames: [] as (string | false | null)[],
    close: closer(server),
  };
  server.on('secureConnection', (s) => origin.servernames.push(s.servername));
  server.on('request', originHandler(origin, 'tls'));
  origin.port = await listen(server, host);
  return origin;
}

// ---------------------------------------------------------------------------------------------
// Fake policy (the real one is src/policy; these tests judge the proxy, not the matcher)

export function rule(
  app: string,
  category: RuleRef['category'],
  text: string,
  list = `${app}-${category}`,
): RuleRef {
  return { list, app, category, source: 'test', line: 1, rule: text, action: { kind: 'nxdomain' } };
}

export interface FakePolicyRules {
  /** Suffix rules on names. */
  names?: Record<string, RuleRef>;
  /** Exact IP rules. */
  ips?: Record<string, RuleRef>;
  /** URL rules: host + path prefix, or host + path + exact query parameter. */
  urls?: {
    host: string;
    pathPrefix?: string;
    pathPattern?: RegExp;
    param?: [string, string];
    rule: RuleRef;
  }[];
}

export function fakePolicy(rules: FakePolicyRules, group = 'default'): PolicyStore & { calls: string[] } {
  const calls: string[] = [];
  const matchName = (name: string): BlockMatch | null => {
    for (let n = name; ;) {
      const r = rules.names?.[n];
      if (r) return { rule: r, group };
      const dot = n.indexOf('.');
      if (dot < 0) return null;
      n = n.slice(dot + 1);
    }
  };
  const snap: PolicySnapshot = {
    generation: 1,
    groupOf: () => group,
    matchName: (name) => {
      calls.push(`name ${name}`);
      return matchName(name);
    },
    matchIp: (ip) => {
      calls.push(`ip ${ip}`);
      const r = rules.ips?.[ip];
      return r ? { rule: r, group } : null;
    },
    matchUrl: (t: UrlTarget) => {
      calls.push(`url ${t.host} ${t.path} ${t.query}`);
      const byName = matchName(t.host);
      if (byName) return byName;
      for (const u of rules.urls ?? []) {
        if (u.host !== t.host) continue;
        if (u.pathPrefix !== undefined && !t.path.startsWith(u.pathPrefix)) continue;
        if (u.pathPattern !== undefined && !u.pathPattern.test(t.path)) continue;
        if (u.param !== undefined) {
          const v = new URLSearchParams(t.query).getAll(u.param[0]);
          if (!v.includes(u.param[1])) continue;
        }
        return { rule: u.rule, group };
      }
      return null;
    },
    hasUrlRules: (host) => (rules.urls ?? []).some((u) => u.host === host),
    explain: () => {
      throw new Error('not used');
    },
    lists: () => [],
    ipRules: () => [],
  };
  return { current: snap, calls } as unknown as PolicyStore & { calls: string[] };
}

// ---------------------------------------------------------------------------------------------
// Fake resolver chain: names → addresses; blocked names answer like the blocking link does.

export interface FakeChain extends Resolver {
  readonly queries: { name: string; qtype: number; client: string; protocol: string }[];
}

export function fakeChain(
  zone: Record<string, string[]>,
  blocked: Record<string, BlockMatch> = {},
  opts: { async?: boolean } = {},
): FakeChain {
  const queries: FakeChain['queries'] = [];
  const header = (rcode: number) => {
    const b = Buffer.alloc(12);
    b[2] = 0x81;
    b[3] = 0x80 | rcode;
    return b;
  };
  const answer = (q: DnsQuery): DnsAnswer => {
    queries.push({ name: q.name, qtype: q.qtype, client: q.client, protocol: q.protocol });
    const block = blocked[q.name];
    if (block) return { wire: header(3), result: 'blocked', block };
    const addrs = zone[q.name];
    if (!addrs) return { wire: header(3), result: 'allowed' };
    const family = q.qtype === 28 ? 6 : 4;
    const wanted = addrs.filter((a) => net.isIP(a) === family);
    return { wire: header(0), result: 'allowed', facts: { targets: [], addresses: wanted } };
  };
  return {
    queries,
    resolve: (q) => (opts.async ? new Promise((r) => setImmediate(() => r(answer(q)))) : answer(q)),
  };
}

// ---------------------------------------------------------------------------------------------
// The proxy under test

export interface RunningProxy {
  readonly server: ProxyServer;
  readonly stats: ProxyStats;
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** A ProxyServer on 127.0.0.1; `cleanup` (a test's context) stops it when the test ends. */
export async function startProxy(
  overrides: Record<string, unknown>,
  policy: PolicyStore,
  chain: Resolver,
  cleanup?: Cleanup,
): Promise<RunningProxy> {
  // The origins of these tests listen on loopback, which the shipped config refuses to dial (deniedTargets)
  // and the proxy refuses as its own host's address unless allowInternal lists it.
  const cfg = proxySchema.parse({
    listen: ['127.0.0.1:0'],
    deniedTargets: [],
    allowInternal: ['127.0.0.0/8', '::1/128'],
    ...overrides,
  });
  const stats = new ProxyStats();
  const server = new ProxyServer(cfg, policy, chain, stats, silentLog);
  await server.start();
  const port = server.addresses()[0].port;
  const stop = () => server.stop(200);
  if (cleanup) onCleanup(cleanup, stop);
  return { server, stats, port, url: `http://127.0.0.1:${port}`, stop };
}

// ---------------------------------------------------------------------------------------------
// Clients

/** Sends raw bytes to the proxy and returns everything it sends back before closing (or timing out). */
export function rawExchange(port: number, payload: string | Buffer, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, '127.0.0.1', () => s.write(payload));
    const done = () => {
      clearTimeout(t);
      s.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const t = setTimeout(done, timeoutMs);
    s.on('data', (c) => chunks.push(c));
    s.on('close', done);
    s.on('error', done);
  });
}

export async function waitFor(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// ---------------------------------------------------------------------------------------------
// A real banwall with the shipped lists

/** The shipped config's policy sections (lists, allow, groups, blocking) with absolute list paths. */
export async function shippedPolicy(dir: string): Promise<Record<string, unknown>> {
  const cfg = parseYaml(await readFile(path.join(ROOT, 'config/banwall.yaml'), 'utf8')) as Record<
    string,
    never
  >;
  const abs = (s: string) => path.resolve(ROOT, 'config', s);
  return {
    lists: (cfg.lists as { source: string }[]).map((l) => ({ ...l, source: abs(l.source) })),
    allow: cfg.allow,
    groups: cfg.groups,
    blocking: { ...(cfg.blocking as object), cacheDir: path.join(dir, 'lists') },
  };
}
