// Selective TLS interception (proxy.intercept, issue 16.1). A CONNECT to a host that carries URL rules
// (or one listed in proxy.intercept.hosts) is decrypted, in this order:
//   1. TLS to the real server at the address already judged and checked, VERIFIED for the name
//      against Node's trust store (plus NODE_EXTRA_CA_CERTS). A certificate that does not verify:
//      502 on the CONNECT, and no certificate is minted for the name;
//   2. a leaf for the name, signed by the configured CA (leaf-cache.ts), then 200 Connection Established;
//   3. the ClientHello is read (tls-client-hello.ts): a server name other than the CONNECT's closes
//      the tunnel (the leaf is for the CONNECT's name only);
//   4. TLS with the client (ALPN http/1.1 only), then every request is judged like plain HTTP
//      (tunnel-requests.ts) and forwarded over the verified origin connection.
// Every other CONNECT is spliced by connect-tunnel.ts and never decrypted.
import type { Socket } from 'node:net';
import tls, { type SecureContext, type TLSSocket } from 'node:tls';
import { setConnectionState, type ProxyContext } from '../context.ts';
import type { HttpForwarder } from '../http-forwarder.ts';
import type { InterceptClass } from '../proxy-stats.ts';
import type { ConnectTarget } from '../target.ts';
import { TargetGuard } from '../target-guard.ts';
import { rawText } from '../responses.ts';
import { loadInterceptCa } from './ca.ts';
import { helloVerdict } from './decisions.ts';
import { LeafCache } from './leaf-cache.ts';
import { connectOrigin, isCertificateError, OriginAgent } from './origin-agent.ts';
import { tagTunnel, TunnelRequests } from './tunnel-requests.ts';

const ESTABLISHED = Buffer.from('HTTP/1.1 200 Connection Established\r\n\r\n', 'latin1');

type InterceptConfig = NonNullable<ProxyContext['cfg']['intercept']>;

/** Whether `host` is one of `hosts` or a subdomain of one. */
export function inHostList(hosts: readonly string[], host: string): boolean {
  for (const h of hosts) {
    if (
      host === h ||
      (host.length > h.length && host.endsWith(h) && host.charCodeAt(host.length - h.length - 1) === 46)
    )
      return true;
  }
  return false;
}

export class Interceptor {
  private readonly ctx: ProxyContext;
  private readonly hosts: readonly string[] | null;
  private readonly exclude: readonly string[];
  readonly leaves: LeafCache;
  private readonly requests: TunnelRequests;
  /** Client sockets of intercepted tunnels, destroyed at stop. */
  private readonly tunnels = new Set<Socket>();

  private constructor(ctx: ProxyContext, cfg: InterceptConfig, leaves: LeafCache, forwarder: HttpForwarder) {
    this.ctx = ctx;
    this.hosts = cfg.hosts ?? null;
    this.exclude = cfg.exclude;
    this.leaves = leaves;
    this.requests = new TunnelRequests(ctx, forwarder);
  }

  /** Reads and checks the CA (relative paths against `dir`, the config file's directory). */
  static async create(ctx: ProxyContext, cfg: InterceptConfig, dir: string, forwarder: HttpForwarder) {
    const ca = await loadInterceptCa(dir, cfg.ca.cert, cfg.ca.key);
    return new Interceptor(ctx, cfg, new LeafCache(ca, cfg.maxLeaves), forwarder);
  }

  /** Why a CONNECT to this name is decrypted, or null: it is spliced. */
  classify(host: string, client: string): InterceptClass | null {
    if (this.exclude.length > 0 && inHostList(this.exclude, host)) return null;
    if (this.hosts !== null) return inHostList(this.hosts, host) ? 'configured' : null;
    return this.ctx.policy.current.hasUrlRules(host, client) ? 'url-rules' : null;
  }

  /** A CONNECT to `target` (a name) whose address was judged: verify, mint, then decrypt. */
  open(
    socket: Socket,
    head: Buffer,
    target: ConnectTarget,
    address: string,
    client: string,
    cls: InterceptClass,
    /** The CONNECT's Basic-auth user, for the events of the requests inside. */
    identity = '',
  ): void {
    const { ctx } = this;
    const name = target.host;
    const refused = ctx.targets.check(address, target.port, name);
    if (refused !== null) {
      ctx.stats.recordRequest('connect', 'denied');
      rawText(socket, 403, TargetGuard.message(refused, address, target.port));
      return;
    }
    const timeouts = ctx.cfg.timeouts;
    const origin = connectOrigin(address, target.port, name);
    this.tunnels.add(socket);
    ctx.stats.openTunnels++;
    let answered = false; // 200 sent: from then on failures close the tunnel
    let done = false;
    let handedOver = false;
    let helloTimer: NodeJS.Timeout | undefined;
    const originTimer = setTimeout(
      () => fail('error', 504, `banwall: ${name}:${target.port} did not answer in time`),
      timeouts.upstream,
    );
    const close = () => {
      if (done) return;
      done = true;
      clearTimeout(originTimer);
      clearTimeout(helloTimer);
      this.tunnels.delete(socket);
      ctx.stats.openTunnels--;
      origin.destroy();
      socket.destroy();
    };
    const fail = (result: 'untrusted' | 'error', status: number, message: string) => {
      if (done) return;
      ctx.stats.recordIntercept(cls, result);
      ctx.stats.recordRequest('connect', 'error');
      if (answered) return close();
      clearTimeout(originTimer);
      origin.destroy();
      rawText(socket, status, message);
    };
    socket.once('close', close);
    socket.setTimeout(timeouts.idle, close);
    origin.on('error', (err: NodeJS.ErrnoException) => {
      // Once the tunnel is decrypted the origin connection belongs to its agent: a request in flight
      // gets 502 from the forwarder, the next one a new verified connection.
      if (handedOver) return;
      if (origin.authorized || answered) return close();
      if (isCertificateError(err))
        fail(
          'untrusted',
          502,
          `banwall: the certificate of ${name} does not verify (${err.code}); the proxy refuses to open it`,
        );
      else fail('error', 502, `banwall: cannot reach ${name}:${target.port} (${err.code ?? err.message})`);
    });
    origin.once('secureConnect', () => {
      clearTimeout(originTimer);
      // rejectUnauthorized: only a verified connection gets here. Only now may a leaf be minted.
      if (done || !origin.authorized)
        return fail('untrusted', 502, `banwall: the certificate of ${name} does not verify`);
      const leaf = this.leaves.context(name);
      this.syncLeafStats();
      leaf.then(
        (context) => {
          this.syncLeafStats();
          if (done) return;
          answered = true;
          socket.write(ESTABLISHED);
          helloTimer = setTimeout(close, timeouts.clientHello);
          this.readHello(
            socket,
            head,
            name,
            cls,
            (hello) => {
              clearTimeout(helloTimer);
              handedOver = true;
              this.handshake(
                socket,
                hello,
                context,
                { name, port: target.port, address, client, cls, origin, identity },
                close,
              );
            },
            close,
          );
        },
        (err: unknown) => {
          ctx.log.error({ err, name }, 'proxy interception: cannot mint a leaf certificate');
          fail('error', 502, `banwall: cannot intercept ${name}`);
        },
      );
    });
  }

  /** Waits for a ClientHello naming `name` (or no name); anything else closes the tunnel. */
  private readHello(
    socket: Socket,
    head: Buffer,
    name: string,
    cls: InterceptClass,
    ok: (hello: Buffer) => void,
    close: () => void,
  ): void {
    const { ctx } = this;
    let hello: Buffer = head.length > 0 ? Buffer.from(head) : Buffer.alloc(0);
    const check = () => {
      const verdict = helloVerdict(hello, name);
      if (verdict === 'wait') return;
      socket.off('data', onData);
      if (verdict === 'ok') return ok(hello);
      if (verdict === 'mismatch') ctx.stats.recordIntercept(cls, 'mismatch');
      ctx.stats.recordRequest('connect', verdict === 'invalid' ? 'badrequest' : 'denied');
      close();
    };
    const onData = (chunk: Buffer) => {
      hello = hello.length === 0 ? chunk : Buffer.concat([hello, chunk]);
      check();
    };
    socket.on('data', onData);
    if (hello.length > 0) check();
  }

  /** TLS with the client over the leaf, the hello it already sent put back in front. */
  private handshake(
    socket: Socket,
    hello: Buffer,
    context: SecureContext,
    t: {
      name: string;
      port: number;
      address: string;
      client: string;
      cls: InterceptClass;
      origin: TLSSocket;
      identity: string;
    },
    close: () => void,
  ): void {
    const { ctx } = this;
    socket.pause();
    socket.unshift(hello);
    const secure = new tls.TLSSocket(socket, {
      isServer: true,
      secureContext: context,
      ALPNProtocols: ['http/1.1'],
    });
    let established = false;
    const timer = setTimeout(() => secure.destroy(), ctx.cfg.timeouts.clientHello);
    secure.on('error', () => {
      // Before the handshake: the client refused the leaf (CA not installed, or a pinning app).
      if (!established) ctx.stats.recordIntercept(t.cls, 'client-refused');
      secure.destroy();
    });
    secure.once('close', close);
    secure.once('secure', () => {
      clearTimeout(timer);
      established = true;
      ctx.stats.recordIntercept(t.cls, 'intercepted');
      ctx.stats.recordRequest('connect', 'allowed');
      const agent = new OriginAgent(t.origin, () =>
        ctx.targets.check(t.address, t.port, t.name) === null
          ? connectOrigin(t.address, t.port, t.name)
          : null,
      );
      secure.once('close', () => agent.destroy());
      setConnectionState(secure, {
        client: t.client,
        allowed: true,
        limited: false,
        active: true,
        intercepted: true,
      });
      const authority = t.port === 443 ? t.name : `${t.name}:${t.port}`;
      tagTunnel(secure, {
        name: t.name,
        port: t.port,
        address: t.address,
        authority,
        agent,
        identity: t.identity,
      });
      this.requests.accept(secure);
    });
  }

  private syncLeafStats(): void {
    this.ctx.stats.leavesMinted = this.leaves.minted;
    this.ctx.stats.leavesCached = this.leaves.size;
  }

  stop(): void {
    this.requests.close();
    for (const s of this.tunnels) s.destroy();
  }
}
