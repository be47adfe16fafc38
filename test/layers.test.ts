// Imports run one way: from the top layers of src/ down (issue 18 item 4). Every import of every
// module in src/ (static, re-export and dynamic `import()`) is resolved to the file it names, and
// that file's layer may not be above the importer's. A new upward import fails here, with its place.
//
// Layers, top first:
//   cli       src/cli.ts, src/cli/          commands
//   cluster   src/cluster/                  the dns.workers supervisor: runs apps
//   app       src/app.ts, src/app-*.ts      the composition root: builds and wires every part
//   config    src/config/schema.ts, load.ts  assembles the schema each part below owns; load-isolated.ts
//             runs load.ts in a worker thread
//   api       src/api/, src/console/        the HTTP listener and the console; asks the app through AdminOps
//   edge      src/proxy/, src/firewall/,    ask the resolver, the policy, the listeners
//             src/canary/, src/explain/
//   dns       src/dns/                      the resolver chain and its front ends (query log included)
//   events    src/events/, src/audit/       the event pipeline and its sinks; the audit log
//   policy    src/policy/                   lists, matching, reload
//   base      src/log.ts, src/version.ts, src/ts-worker.ts, src/net/, src/metrics/, src/config/types.ts,
//             config/host-port.ts, config/config-error.ts (no zod: the serving process never loads it)
//
// One allowance: a part may name the whole config's *type* (`import type { Config }` from
// config/schema.ts, `LoadedConfig` from config/load.ts). Types are erased at run time, and the
// schema they describe is assembled from the parts' own schemas; a part reads its section through it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ROOT } from './helpers/banwall.ts';

const SRC = path.join(ROOT, 'src');

/** Layer of a file (path relative to src/, forward slashes), higher = further up. */
const LAYERS: readonly [name: string, matches: (f: string) => boolean][] = [
  [
    'base',
    (f) =>
      [
        'log.ts',
        'version.ts',
        'ts-worker.ts',
        'config/types.ts',
        'config/host-port.ts',
        'config/config-error.ts',
      ].includes(f) || /^(net|metrics)\//.test(f),
  ],
  ['policy', (f) => f.startsWith('policy/')],
  ['events', (f) => f.startsWith('events/') || f.startsWith('audit/')],
  ['dns', (f) => f.startsWith('dns/')],
  ['edge', (f) => /^(proxy|firewall|canary|explain)\//.test(f)],
  ['api', (f) => f.startsWith('api/') || f.startsWith('console/')],
  ['config', (f) => /^config\/(schema|load|load-isolated|load-worker|validated-cache)\.ts$/.test(f)],
  ['app', (f) => /^app(-[a-z-]+)?\.ts$/.test(f)],
  ['cluster', (f) => f.startsWith('cluster/')],
  ['cli', (f) => f === 'cli.ts' || f.startsWith('cli/')],
];

function layerOf(file: string): number {
  const i = LAYERS.findIndex(([, m]) => m(file));
  assert.ok(i >= 0, `src/${file} is in no layer: add it to LAYERS in test/layers.test.ts`);
  return i;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(SRC, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

interface Import {
  readonly target: string;
  readonly typeOnly: boolean;
  readonly line: number;
}

/** Relative imports of one module, resolved to paths under src/. */
function importsOf(file: string): Import[] {
  const text = readFileSync(path.join(SRC, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: Import[] = [];
  const add = (spec: ts.Expression | undefined, typeOnly: boolean, node: ts.Node) => {
    if (spec === undefined || !ts.isStringLiteralLike(spec) || !spec.text.startsWith('.')) return;
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec.text));
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
    out.push({ target, typeOnly, line });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const allTypes =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            named !== undefined &&
            ts.isNamedImports(named) &&
            named.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, allTypes, node);
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly, node);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false, node);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

const TYPE_ONLY_ALLOWED = new Set(['config/schema.ts', 'config/load.ts', 'config/config-error.ts']);

void test('every import in src/ points to the same layer or one below', () => {
  const files = sources(SRC);
  assert.ok(files.length > 100, `only ${files.length} modules found`);
  const upward: string[] = [];
  let checked = 0;
  for (const file of files) {
    const from = layerOf(file);
    for (const imp of importsOf(file)) {
      assert.ok(
        files.includes(imp.target),
        `src/${file}:${imp.line} imports ${imp.target}, which does not exist`,
      );
      checked++;
      const to = layerOf(imp.target);
      if (to <= from) continue;
      if (imp.typeOnly && TYPE_ONLY_ALLOWED.has(imp.target)) continue;
      upward.push(
        `src/${file}:${imp.line} (${LAYERS[from][0]}) imports src/${imp.target} (${LAYERS[to][0]})`,
      );
    }
  }
  assert.ok(checked > 300, `only ${checked} imports seen`);
  assert.deepEqual(upward, [], `imports running up the layers:\n${upward.join('\n')}`);
});

void test('the check sees an upward import when there is one', () => {
  // The rule is not vacuous: the DNS front end importing the cluster supervisor (as it once did).
  assert.ok(layerOf('cluster/role.ts') > layerOf('dns/server/bind.ts'));
  assert.ok(layerOf('app.ts') > layerOf('api/http-server.ts'));
  assert.ok(layerOf('api/admin-ops.ts') > layerOf('metrics/app-metrics.ts'));
});
