// What a fixture is handed so that it stops itself when the test ends: the test's context
// (`t.after`) or, for a file's `before` hook, node:test's `after`. A test then needs no try/finally,
// and a failed assertion still closes what it opened.
export type Cleanup = { after(fn: () => Promise<void>): void } | ((fn: () => Promise<void>) => void);

/** Runs `fn` when the test (or the file) that `cleanup` stands for ends. */
export function onCleanup(cleanup: Cleanup, fn: () => Promise<void>): void {
  if (typeof cleanup === 'function') cleanup(fn);
  else cleanup.after(fn);
}
