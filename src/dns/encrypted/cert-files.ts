// A certificate and key read from files and watched: when either changes, the pair is read again,
// checked, and handed to the TLS server (`setSecureContext`), so a renewed certificate (certbot,
// cert-manager, a ConfigMap/Secret update) is served without a restart. A bad pair is logged and the
// old one keeps serving.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Logger } from '../../log.ts';

export interface KeyPair {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** Reads both files and proves they form a usable pair (createSecureContext throws on a mismatch). */
export async function readKeyPair(certFile: string, keyFile: string): Promise<KeyPair> {
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  createSecureContext({ cert, key });
  return { cert, key };
}

export class CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
  private readonly log: Logger;
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: ((pair: KeyPair) => void)[] = [];

  /** `cert` and `key` are resolved against `dir`, the config file's directory. */
  constructor(dir: string, cert: string, key: string, log: Logger) {
    this.certFile = path.resolve(dir, cert);
    this.keyFile = path.resolve(dir, key);
    this.log = log;
  }

  /** The first read: an error here stops banwall from starting, with the file named. */
  async load(): Promise<KeyPair> {
    try {
      return await readKeyPair(this.certFile, this.keyFile);
    } catch (err) {
      throw new Error(
        `cannot load certificate ${this.certFile} / key ${this.keyFile}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  /** Calls `fn` with each new good pair after a change on disk. */
  onChange(fn: (pair: KeyPair) => void): void {
    this.listeners.push(fn);
    if (this.watchers.length > 0) return;
    // Watch the directories, not the files: renewals replace files by rename, and Kubernetes swaps a
    // `..data` symlink, both of which a watch on the old inode would miss.
    const dirs = new Set([path.dirname(this.certFile), path.dirname(this.keyFile)]);
    const names = new Set([path.basename(this.certFile), path.basename(this.keyFile)]);
    for (const dir of dirs) {
      try {
        const w = watch(dir, (_event, name) => {
          if (name !== null && !names.has(name) && !name.startsWith('..')) return;
          // Debounce: a renewal writes the key and the certificate one after the other.
          clearTimeout(this.timer);
          this.timer = setTimeout(() => void this.reload(), 200);
        });
        w.on('error', (err) => this.log.warn({ err, dir }, 'certificate watch failed; restart to renew'));
        w.unref();
        this.watchers.push(w);
      } catch (err) {
        this.log.warn({ err, dir }, 'cannot watch the certificate directory; restart to renew');
      }
    }
  }

  private async reload(): Promise<void> {
    let pair: KeyPair;
    try {
      pair = await readKeyPair(this.certFile, this.keyFile);
    } catch (err) {
      this.log.error(
        { err, cert: this.certFile, key: this.keyFile },
        'new certificate or key rejected; the previous one keeps serving',
      );
      return;
    }
    for (const fn of this.listeners) fn(pair);
    this.log.info({ cert: this.certFile }, 'certificate reloaded');
  }

  close(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
  }
}
