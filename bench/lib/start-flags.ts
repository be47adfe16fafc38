// How `npm start` runs banwall (package.json "start": `VAR=value … exec node FLAGS bin/banwall.js
// serve`), read from a tree's package.json so that every bench starts each checkout exactly as its
// own `npm start` does: one place (package.json, which the Dockerfile's test holds the image to), not
// a copy of the flags per bench.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface StartFlags {
  /** Node's flags before bin/banwall.js (e.g. `--max-semi-space-size=4`). */
  readonly nodeArgs: string[];
  /** The variables set in front of `exec node` (e.g. MALLOC_ARENA_MAX). */
  readonly env: Record<string, string>;
}

/** Parses a start script of the form `A=1 B=2 exec node --flag … bin/banwall.js serve`. */
export function parseStartScript(script: string): StartFlags {
  const words = script.trim().split(/\s+/);
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[i]); i++) {
    const eq = words[i].indexOf('=');
    env[words[i].slice(0, eq)] = words[i].slice(eq + 1);
  }
  if (words[i] === 'exec') i++;
  if (words[i] !== 'node') throw new Error(`package.json start does not run node: ${script}`);
  const nodeArgs: string[] = [];
  for (i++; i < words.length && words[i].startsWith('-'); i++) nodeArgs.push(words[i]);
  return { nodeArgs, env };
}

/**
 * What runs `banwall serve --config conf` from the checkout at `root` as its `npm start` does: node's
 * arguments (`nodeArgs`, e.g. --cpu-prof, after the start script's own) and the environment.
 */
export function serveCommand(
  root: string,
  conf: string,
  nodeArgs: readonly string[] = [],
): { args: string[]; env: NodeJS.ProcessEnv } {
  const start = startFlags(root);
  return {
    args: [...start.nodeArgs, ...nodeArgs, path.join(root, 'bin/banwall.js'), 'serve', '--config', conf],
    env: { ...process.env, ...start.env },
  };
}

/** The start flags of the checkout at `root`. */
export function startFlags(root: string): StartFlags {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  return parseStartScript(pkg.scripts.start);
}
