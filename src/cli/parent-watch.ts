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
 * Calls `onParentGone` once when the parent exits. Does nothing when the parent is already init (a
 * daemon, PID 1 in a container, or a supervisor that adopted us): there is nothing to follow.
 */
export function watchParent(onParentGone: (parent: number) => void): void {
  const parent = process.ppid;
  if (parent <= 1) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onParentGone(parent);
  }, POLL_MS);
  timer.unref();
}
