// Certificates for the tests, made by the real openssl at test time (EC P-256, valid 1-2 days): a
// self-signed one for a few names, a CA (banwall's interception CA, the CA of an origin or of
// banwall's DoT/DoH listeners) and a leaf issued by such a CA.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The name banwall's encrypted listeners are reached by in the tests (kdig +tls-hostname). */
export const TEST_HOSTNAME = 'dns.test';
/** What a leaf is for unless a test names otherwise: the test hostname and loopback. */
export const TEST_SERVER_NAMES: readonly string[] = [TEST_HOSTNAME, '127.0.0.1'];

export interface Pem {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

export interface SelfSigned extends Pem {
  /** The directory holding `cert.pem` and `key.pem` (the caller removes it). */
  readonly dir: string;
}

/** A CA and the directory it lives in (a fresh temporary one unless given; the caller removes it). */
export interface TestCa extends Pem {
  readonly dir: string;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

const subjectAltName = (names: readonly string[]): string =>
  names.map((n) => (net.isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');

async function read(certFile: string, keyFile: string): Promise<Pem> {
  return { certFile, keyFile, cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
}

/** `names[0]` is the CN; every name (DNS name or IP literal) goes in the subjectAltName. */
export async function selfSigned(names: readonly string[], prefix = 'banwall-cert-'): Promise<SelfSigned> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  await run('openssl', [
    'req',
    '-x509',
    ...EC_KEY,
    '-days',
    '1',
    '-subj',
    `/CN=${names[0]}`,
    '-addext',
    `subjectAltName=${subjectAltName(names)}`,
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return { dir, ...(await read(certFile, keyFile)) };
}

/** A CA certificate (CA:TRUE, keyCertSign) named `cn`, in `dir/<file>.pem|.key`. */
export async function makeCa(dir?: string, file = 'ca', cn = 'banwall test CA'): Promise<TestCa> {
  const d = dir ?? (await mkdtemp(path.join(tmpdir(), 'banwall-ca-')));
  const certFile = path.join(d, `${file}.pem`);
  const keyFile = path.join(d, `${file}.key`);
  await run('openssl', [
    'req',
    '-x509',
    ...EC_KEY,
    '-days',
    '2',
    '-subj',
    `/CN=${cn}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return { dir: d, ...(await read(certFile, keyFile)) };
}

/**
 * A server certificate for `names` (subjectAltName) issued by `ca`, in `dir/<file>.pem|.key`;
 * `cn` (names[0] by default) tells two certificates for the same names apart.
 */
export async function issueLeaf(
  dir: string,
  file: string,
  ca: Pem,
  names: readonly string[] = TEST_SERVER_NAMES,
  cn = names[0],
): Promise<Pem> {
  const certFile = path.join(dir, `${file}.pem`);
  const keyFile = path.join(dir, `${file}.key`);
  const csr = path.join(dir, `${file}.csr`);
  const ext = path.join(dir, `${file}.ext`);
  await writeFile(
    ext,
    `basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=${subjectAltName(names)}\n`,
  );
  await run('openssl', ['req', '-new', ...EC_KEY, '-subj', `/CN=${cn}`, '-keyout', keyFile, '-out', csr]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    certFile,
  ]);
  return read(certFile, keyFile);
}
