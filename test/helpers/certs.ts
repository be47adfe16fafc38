// A throwaway CA and a server certificate for `dns.test` and 127.0.0.1, made with openssl at test time.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const TEST_HOSTNAME = 'dns.test';

export interface TestCa {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
}

export async function makeCa(dir?: string): Promise<TestCa> {
  const d = dir ?? (await mkdtemp(path.join(tmpdir(), 'banwall-ca-')));
  const caKey = path.join(d, 'ca.key');
  const caCert = path.join(d, 'ca.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    caCert,
    '-days',
    '2',
    '-subj',
    '/CN=banwall test CA',
  ]);
  return { dir: d, caCert, caKey };
}

/** Writes `<name>.pem` and `<name>.key` in `outDir`, signed by `ca`; `cn` tells two certificates apart. */
export async function makeServerCert(
  ca: TestCa,
  outDir: string,
  name: string,
  cn = TEST_HOSTNAME,
): Promise<{ cert: string; key: string }> {
  const key = path.join(outDir, `${name}.key`);
  const cert = path.join(outDir, `${name}.pem`);
  const csr = path.join(ca.dir, `${name}.csr`);
  const ext = path.join(ca.dir, `${name}.ext`);
  await writeFile(ext, `subjectAltName=DNS:${TEST_HOSTNAME},IP:127.0.0.1\n`);
  await run('openssl', [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    csr,
    '-subj',
    `/CN=${cn}`,
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.caCert,
    '-CAkey',
    ca.caKey,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    '2',
    '-extfile',
    ext,
  ]);
  return { cert, key };
}
