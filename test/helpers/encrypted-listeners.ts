// banwall's own DoT and DoH listeners in a test: the certificate they serve, issued by a fresh test CA
// (kdig verifies it with `+tls-ca`), and the ports they bound, read from banwall's log.
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunningBanwall } from './banwall.ts';
import { issueLeaf, makeCa, type TestCa } from './certs.ts';

/**
 * Makes a CA and writes a leaf it issued as `tls.crt` / `tls.key` into `dir` (banwall's config dir),
 * where `dns.dot` / `dns.doh` with `cert: tls.crt, key: tls.key` find them. Returns the CA.
 */
export async function listenerCert(dir: string): Promise<TestCa> {
  const ca = await makeCa();
  await issueLeaf(ca.dir, 'srv', ca);
  await copyFile(path.join(ca.dir, 'srv.pem'), path.join(dir, 'tls.crt'));
  await copyFile(path.join(ca.dir, 'srv.key'), path.join(dir, 'tls.key'));
  return ca;
}

/** The first DoT and DoH ports banwall bound (undefined where that listener is not configured). */
export async function encryptedPorts(bw: RunningBanwall): Promise<{ dot?: number; doh?: number }> {
  const line = await bw.waitForLog((l) => l.msg === 'encrypted DNS listening');
  const port = (addrs: unknown) => (addrs as { port: number }[] | undefined)?.[0]?.port;
  return { dot: port(line.dot), doh: port(line.doh) };
}
