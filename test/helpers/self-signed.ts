// A self-signed certificate for test names, made by the real openssl at test time (EC P-256, 1 day).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SelfSigned {
  /** The directory holding `cert.pem` and `key.pem` (the caller removes it). */
  readonly dir: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

/** `names[0]` is the CN; every name (DNS name or IP literal) goes in the subjectAltName. */
export async function selfSigned(names: readonly string[], prefix = 'banwall-cert-'): Promise<SelfSigned> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  const san = names.map((n) => (net.isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${names[0]}`,
    '-addext',
    `subjectAltName=${san}`,
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return {
    dir,
    certFile,
    keyFile,
    cert: await readFile(certFile, 'utf8'),
    key: await readFile(keyFile, 'utf8'),
  };
}
