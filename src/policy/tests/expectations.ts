// Policy tests: files of expectations, one a line, that the compiled policy must meet, so list
// maintainers change lists as developers change code, with a test that fails first.
//
//   block NAME|URL|IP [APP[/CATEGORY]]   # must be blocked (by a rule of that app and category)
//   allow NAME|URL|IP                    # must not be blocked
//   # a comment; blank lines are ignored; `client IP` on a line of its own judges the lines after
//   # it as that client (the default group's view by default)
import { isIP } from 'node:net';

export interface Expectation {
  readonly file: string;
  readonly line: number;
  readonly expect: 'block' | 'allow';
  readonly subject: string;
  readonly kind: 'name' | 'url' | 'ip';
  readonly app?: string;
  readonly category?: string;
  readonly client: string;
}

export interface ExpectationParse {
  readonly expectations: Expectation[];
  readonly errors: string[];
}

const NAME =
  /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

function kindOf(subject: string): Expectation['kind'] | null {
  if (/^https?:\/\//i.test(subject)) {
    try {
      new URL(subject);
      return 'url';
    } catch {
      return null;
    }
  }
  if (isIP(subject) !== 0) return 'ip';
  return NAME.test(subject.toLowerCase().replace(/\.$/, '')) ? 'name' : null;
}

export function parseExpectations(text: string, file: string, defaultClient = '127.0.0.1'): ExpectationParse {
  const expectations: Expectation[] = [];
  const errors: string[] = [];
  let client = defaultClient;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const hash = raw.indexOf('#');
    const words = (hash >= 0 ? raw.slice(0, hash) : raw)
      .trim()
      .split(/\s+/)
      .filter((w) => w !== '');
    if (words.length === 0) return;
    const where = `${file}:${line}`;
    const [verb, subject, target, ...extra] = words;
    if (verb === 'client') {
      if (subject === undefined || isIP(subject) === 0 || target !== undefined) {
        errors.push(`${where}: "client" takes one IP address`);
      } else {
        client = subject;
      }
      return;
    }
    if (verb !== 'block' && verb !== 'allow') {
      errors.push(`${where}: expected "block", "allow" or "client", got ${JSON.stringify(verb)}`);
      return;
    }
    if (subject === undefined) {
      errors.push(`${where}: "${verb}" needs a name, URL or IP address`);
      return;
    }
    const kind = kindOf(subject);
    if (kind === null) {
      errors.push(`${where}: ${JSON.stringify(subject)} is not a name, an http(s) URL or an IP address`);
      return;
    }
    if (extra.length > 0 || (verb === 'allow' && target !== undefined)) {
      errors.push(
        `${where}: unexpected ${JSON.stringify((verb === 'allow' ? [target, ...extra] : extra).join(' '))}`,
      );
      return;
    }
    const [app, category] = target === undefined ? [] : target.split('/', 2);
    expectations.push({
      file,
      line,
      expect: verb,
      subject: kind === 'name' ? subject.toLowerCase().replace(/\.$/, '') : subject,
      kind,
      app,
      category,
      client,
    });
  });
  return { expectations, errors };
}
