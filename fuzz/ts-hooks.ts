// Module hooks for fuzzing TypeScript sources with jazzer.js.
//
// load: Node's type stripping reports .ts sources as format 'module-typescript', which jazzer.js's ESM
// instrumentor skips. Stripped here (positions preserved, so stack traces still point at the right
// lines) they reach it as 'module' and get coverage counters.
// resolve: jazzer.js appends '.js' to a target path that does not end in .js/.mjs/.cjs; map
// `x.ts.js` back to `x.ts` so targets are named by their real file.
import { stripTypeScriptTypes } from 'node:module';

interface LoadResult {
  format?: string | null;
  source?: string | ArrayBuffer | Uint8Array;
}
type NextLoad = (url: string, context: unknown) => Promise<LoadResult>;
type NextResolve = (specifier: string, context: unknown) => Promise<unknown>;

export async function resolve(
  specifier: string,
  context: unknown,
  nextResolve: NextResolve,
): Promise<unknown> {
  if (specifier.endsWith('.ts.js')) return nextResolve(specifier.slice(0, -3), context);
  return nextResolve(specifier, context);
}

export async function load(url: string, context: unknown, nextLoad: NextLoad): Promise<LoadResult> {
  const result = await nextLoad(url, context);
  if (result.format !== 'module-typescript' || result.source === undefined) return result;
  const source =
    typeof result.source === 'string'
      ? result.source
      : Buffer.from(result.source as Uint8Array).toString('utf8');
  return { ...result, format: 'module', source: stripTypeScriptTypes(source, { mode: 'strip' }) };
}
