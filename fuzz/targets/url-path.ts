// Fuzz target: the proxy's URL path normalisation (src/policy/match/url-path.ts), on the bytes as a
// path and through parseHttpTarget as the proxy sees them. Invariants: never throws; a result starts
// with `/`, has no `//` and no `.`/`..` segment, is no longer than its input, and is stable
// (normalising it again changes nothing); the IIS/Tomcat view has no `\` and no `;`, and is stable too.
// Seeds: the encodings of issue 12.1 (written by hand into fuzz/corpus/url-path/seed-*).
import assert from 'node:assert/strict';
import { normaliseUrlPath, windowsUrlPath } from '../../src/policy/match/url-path.ts';
import { parseHttpTarget } from '../../src/proxy/target.ts';

function checkResolved(p: string, from: string): void {
  assert.equal(p[0], '/', `starts with /: ${JSON.stringify(p)}`);
  assert.ok(!p.includes('//'), `no //: ${JSON.stringify(p)} from ${JSON.stringify(from)}`);
  for (const seg of p.split('/'))
    assert.ok(seg !== '.' && seg !== '..', `no dot segment: ${JSON.stringify(p)}`);
}

function checkPath(path: string): void {
  const n = normaliseUrlPath(path);
  if (n === null) return;
  if (path.startsWith('/')) {
    checkResolved(n, path);
    assert.ok(n.length <= path.length, 'never longer than the input');
  }
  // Stable as decodePath uses it (a literal `%zz` left by `%25zz` is matched as it stands).
  assert.equal(normaliseUrlPath(n) ?? n, n, `stable: ${JSON.stringify(path)} → ${JSON.stringify(n)}`);
  const w = windowsUrlPath(n);
  if (w !== null) {
    checkResolved(w, n);
    assert.ok(!w.includes('\\') && !w.includes(';'), 'no \\ or ; in the IIS/Tomcat view');
    assert.equal(windowsUrlPath(w), null, 'the IIS/Tomcat view is stable');
  }
}

export function fuzz(data: Buffer): void {
  const text = data.toString('latin1');
  checkPath(text);
  checkPath('/' + text);
  const target = parseHttpTarget(`http://a.test/${text}`);
  if (target !== null && target.policyPath !== null) {
    checkResolved(target.policyPath, text);
    assert.equal(normaliseUrlPath(target.policyPath) ?? target.policyPath, target.policyPath);
  }
}
