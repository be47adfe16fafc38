// One probe through banwall's own forward proxy, from the probe source address: a plain-HTTP GET
// must get 403 with `X-Banwall-Block: app/category`; a CONNECT must get the same 403 and no tunnel.
import http from 'node:http';
import net from 'node:net';
import type { HostPort } from './dns-probe.ts';

export interface ProxyTarget extends HostPort {
  /** `Proxy-Authorization` when `proxy.auth` is on (the first configured user). */
  readonly authorization?: string;
}

/** null when blocked as expected; else what was wrong. */
export function probeHttp(p: ProxyTarget, source: string, url: string, ms: number): Promise<string | null> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'user-agent': 'banwall-canary', connection: 'close' };
    if (p.authorization) headers['proxy-authorization'] = p.authorization;
    const req = http.request({
      host: p.host,
      port: p.port,
      localAddress: source,
      method: 'GET',
      path: url,
      headers,
      agent: false,
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve(`no HTTP answer within ${ms} ms`);
    }, ms);
    req.on('response', (res) => {
      clearTimeout(timer);
      res.resume();
      resolve(checkBlock(res.statusCode ?? 0, res.headers['x-banwall-block']));
      req.destroy();
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      resolve(`HTTP: ${err.message}`);
    });
    req.end();
  });
}

export function probeConnect(
  p: ProxyTarget,
  source: string,
  name: string,
  ms: number,
): Promise<string | null> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: p.host, port: p.port, localAddress: source });
    let head = '';
    let verdict: string | null | undefined;
    const finish = (v: string | null) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(
      () =>
        finish(
          verdict === undefined
            ? `no CONNECT answer within ${ms} ms`
            : `${verdict ?? 'refused'}, but the connection stayed open`,
        ),
      ms,
    );
    sock.on('connect', () => {
      const auth = p.authorization ? `Proxy-Authorization: ${p.authorization}\r\n` : '';
      sock.write(
        `CONNECT ${name}:443 HTTP/1.1\r\nHost: ${name}:443\r\nUser-Agent: banwall-canary\r\n${auth}\r\n`,
      );
    });
    sock.setEncoding('latin1');
    sock.on('data', (chunk: string) => {
      if (verdict !== undefined) return;
      head += chunk;
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = head.slice(0, end).split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1] ?? 0);
      const header = lines.find((l) => /^x-banwall-block:/i.test(l))?.replace(/^[^:]*:\s*/, '');
      verdict = checkBlock(status, header);
      // A tunnel that opened is a failure at once; a refusal must also close the connection.
      if (status === 200) finish('CONNECT answered 200: the tunnel opened');
      else if (verdict !== null) finish(verdict);
    });
    // The refusal is complete only when banwall closes the connection (no tunnel left behind).
    sock.on('end', () => finish(verdict === undefined ? 'connection closed without an answer' : verdict));
    sock.on('error', (err) => finish(`CONNECT: ${err.message}`));
  });
}

/**
 * The header names the deciding rule's app/category; another list blocking the same name is still a
 * block, so only its presence is required.
 */
function checkBlock(status: number, header: string | string[] | undefined): string | null {
  if (status !== 403) return `HTTP ${status}, expected 403`;
  if (header === undefined) {
    return '403 without X-Banwall-Block: not a policy block (is canaries.source in proxy.allowedClients?)';
  }
  return null;
}
