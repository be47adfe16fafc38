// `host:port` parsing without zod: the event sinks use it at run time, and the serving process keeps
// zod out of its isolate (the config is validated in a worker thread: src/config/load-isolated.ts).

/** Splits `host:port`, `[v6]:port` or a bare host (then `defaultPort`). Returns null when malformed. */
export function splitHostPort(text: string, defaultPort?: number): { host: string; port: number } | null {
  let host: string;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) {
    host = bracket[1];
    portText = bracket[2];
  } else if (text.split(':').length === 2) {
    [host, portText] = text.split(':');
  } else {
    host = text;
  }
  const port = portText === undefined ? defaultPort : Number(portText);
  if (port === undefined || !Number.isInteger(port) || port < 0 || port > 65535 || host === '') return null;
  return { host, port };
}
