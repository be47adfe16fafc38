// `serve --exit-with-parent` (default when npm started banwall): banwall never outlives the process
// that started it. npm forwards SIGTERM and SIGINT to its child but dies of SIGHUP or SIGKILL without
// a word, and a `sh -c` between npm and node dies of SIGTERM without passing it on; either way
// banwall would be left running, orphaned, with its ports bound. Linux has no portable parent-death
// signal in Node, so the parent PID is polled: when the process is re-parented (to init or a
// subreaper) its parent is gone.

/** How often the parent PID is read (one getppid() call; the timer does not keep banwall alive). */
const POLL_MS = 500;

/** Whether npm (npm start, npm run, npx, npm exec) started this process. */
export function startedByNpm(env: NodeJS.ProcessEnv = process.env): boolean {
  return typeof env.npm_lifecycle_event === 'string' && env.npm_lifecycle_event !== '';
}

/**
 * Calls `onParentGone` once when `parent` (process.ppid read at start, before the listeners were
 * bound: a parent that died during start-up counts too) is no longer our parent. Does nothing when
 * the parent was init already (a daemon, PID 1's child in a container): there is nothing to follow.
 */
export function watchParent(parent: number, onParentGone: (parent: number) => void): void {
  if (parent <= 1) return;
  const check = () => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onParentGone(parent);
  };
  const timer = setInterval(check, POLL_MS);
  timer.unref();
  check();
}
