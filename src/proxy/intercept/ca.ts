// The interception CA (`proxy.intercept.ca`): its certificate and private key, read once at start,
// checked (a CA certificate, the key belongs to it, it signs), and imported as a WebCrypto signing key.
// Leaves are signed with SHA-256 and the CA key's own algorithm: ECDSA (P-256/P-384) or RSA PKCS#1 v1.5.
import { createPrivateKey, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as x509 from '@peculiar/x509';

export interface InterceptCa {
  /** The CA certificate as @peculiar/x509 reads it (issuer name and key identifier of the leaves). */
  readonly cert: x509.X509Certificate;
  /** PEM of the CA certificate, sent after the leaf so clients can build the chain. */
  readonly pem: string;
  readonly signingKey: webcrypto.CryptoKey;
  readonly signingAlgorithm: webcrypto.EcdsaParams | webcrypto.Algorithm;
}

/** Reads and checks the CA; a clear Error for anything that cannot mint a valid leaf. */
export async function loadInterceptCa(dir: string, certFile: string, keyFile: string): Promise<InterceptCa> {
  const certPath = path.resolve(dir, certFile);
  const keyPath = path.resolve(dir, keyFile);
  const read = (file: string, key: string) =>
    readFile(file, 'utf8').catch((err: Error) => {
      throw new Error(`proxy.intercept.ca.${key}: cannot read ${file}: ${err.message}`, { cause: err });
    });
  const [pem, keyPem] = await Promise.all([read(certPath, 'cert'), read(keyPath, 'key')]);
  const node = parsed(() => new NodeX509(pem), `proxy.intercept.ca.cert ${certPath}`);
  if (!node.ca)
    throw new Error(`proxy.intercept.ca.cert ${certPath} is not a CA certificate (basicConstraints CA:TRUE)`);
  if (node.validToDate.getTime() < Date.now())
    throw new Error(`proxy.intercept.ca.cert ${certPath} expired on ${node.validTo}`);
  const key = parsed(() => createPrivateKey(keyPem), `proxy.intercept.ca.key ${keyPath}`);
  if (!node.checkPrivateKey(key))
    throw new Error(`proxy.intercept.ca.key ${keyPath} is not the key of ${certPath}`);
  const der = key.export({ format: 'der', type: 'pkcs8' });
  let importAlg: webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams;
  let signingAlgorithm: webcrypto.EcdsaParams | webcrypto.Algorithm;
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const namedCurve = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : null;
    if (namedCurve === null)
      throw new Error(`proxy.intercept.ca.key: EC curve ${curve} is not P-256 or P-384`);
    importAlg = { name: 'ECDSA', namedCurve };
    signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' };
  } else if (type === 'rsa') {
    importAlg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    signingAlgorithm = { name: 'RSASSA-PKCS1-v1_5' };
  } else {
    throw new Error(`proxy.intercept.ca.key: ${type} keys are not supported (use EC P-256 or RSA)`);
  }
  const signingKey = await webcrypto.subtle.importKey('pkcs8', der, importAlg, false, ['sign']);
  return { cert: new x509.X509Certificate(pem), pem: node.toString(), signingKey, signingAlgorithm };
}

/** Runs a parser, naming the file in its error (OpenSSL's messages do not). */
function parsed<T>(parse: () => T, what: string): T {
  try {
    return parse();
  } catch (err) {
    throw new Error(`${what}: not a PEM certificate/key (${(err as Error).message})`, { cause: err });
  }
}
