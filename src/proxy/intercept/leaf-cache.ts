// Leaf certificates for intercepted names, signed by the interception CA and kept in memory only:
// an ECDSA P-256 key per name (never written anywhere), valid for `LEAF_LIFETIME_MS` (backdated an
// hour for clock skew), reused until an hour before it expires, at most `max` names (least recently
// used dropped first). Concurrent tunnels to a name share one minting.
import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import tls, { type SecureContext } from 'node:tls';
import * as x509 from '@peculiar/x509';
import type { InterceptCa } from './ca.ts';

export const LEAF_LIFETIME_MS = 24 * 3600_000;
const BACKDATE_MS = 3600_000;
/** A leaf is replaced this long before it expires, so a tunnel never gets one about to lapse. */
const RENEW_BEFORE_MS = 3600_000;

const LEAF_KEY: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };

interface Entry {
  readonly context: Promise<SecureContext>;
  readonly renewAt: number;
}

export class LeafCache {
  private readonly ca: InterceptCa;
  private readonly max: number;
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  /** Leaves signed since start (a metric; tests check that a refused origin minted nothing). */
  minted = 0;

  constructor(ca: InterceptCa, max = 1000, now: () => number = Date.now) {
    this.ca = ca;
    this.max = max;
    this.now = now;
  }

  get size(): number {
    return this.entries.size;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The TLS context presenting a leaf for `name` (a lower-case host name, verified upstream first). */
  context(name: string): Promise<SecureContext> {
    const now = this.now();
    const hit = this.entries.get(name);
    if (hit !== undefined && hit.renewAt > now) {
      // Map order is insertion order: re-inserting marks it most recently used.
      this.entries.delete(name);
      this.entries.set(name, hit);
      return hit.context;
    }
    const context = this.mint(name, now);
    this.entries.delete(name);
    this.entries.set(name, { context, renewAt: now + LEAF_LIFETIME_MS - RENEW_BEFORE_MS });
    // A failed minting is not cached: the next tunnel tries again.
    context.catch(() => this.entries.delete(name));
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return context;
  }

  private async mint(name: string, now: number): Promise<SecureContext> {
    const keys = await webcrypto.subtle.generateKey(LEAF_KEY, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.create({
      // 16 random bytes with the top bit clear: a positive serial, unique per leaf.
      serialNumber:
        (randomBytes(16)[0] & 0x7f).toString(16).padStart(2, '0') + randomBytes(15).toString('hex'),
      subject: [{ CN: [name] }],
      issuer: this.ca.cert.subjectName,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + LEAF_LIFETIME_MS),
      publicKey: keys.publicKey,
      signingKey: this.ca.signingKey,
      signingAlgorithm: this.ca.signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: isIP(name) ? 'ip' : 'dns', value: name }]),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.ca.cert.publicKey),
      ],
    });
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    this.minted++;
    return tls.createSecureContext({
      cert: cert.toString('pem') + '\n' + this.ca.pem,
      key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
      minVersion: 'TLSv1.2',
    });
  }
}
