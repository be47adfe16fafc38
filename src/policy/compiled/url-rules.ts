// The URL rules of every list, indexed by the host (or host suffix) they name; rules for any host
// are tried for every request. Asked after the host's name and IP rules left a request undecided.
import type { RuleRef, UrlTarget } from '../snapshot.ts';
import { urlRuleMatches, decodePath, type UrlRuleSpec } from '../match/url-rule.ts';
import { EXCEPTION, type CompiledRule, type RuleVerdict } from './compiled-rule.ts';
import type { RuleRecorder } from './rule-trace.ts';

export class UrlRules {
  private readonly all: CompiledRule<UrlRuleSpec>[] = [];
  private readonly byHost = new Map<string, CompiledRule<UrlRuleSpec>[]>();
  private readonly anyHost: CompiledRule<UrlRuleSpec>[] = [];

  add(c: CompiledRule<UrlRuleSpec>): void {
    this.all.push(c);
    if (c.value.hostKind === 'any') this.anyHost.push(c);
    else {
      let a = this.byHost.get(c.value.host);
      if (!a) this.byHost.set(c.value.host, (a = []));
      a.push(c);
    }
  }

  get size(): number {
    return this.all.length;
  }

  /** Any exception matching the URL allows; else the first block rule (in list order) blocks. */
  decide(target: UrlTarget, applies: Uint8Array, rec: RuleRecorder | null): RuleVerdict<UrlRuleSpec> {
    const candidates = this.candidates(target.host);
    if (candidates.length === 0) return null;
    const path = decodePath(target.path);
    let found: CompiledRule<UrlRuleSpec> | null = null;
    let allowed = false;
    for (const r of candidates) {
      if (applies[r.list] === 0 || !urlRuleMatches(r.value, path, target.query)) continue;
      if (rec !== null) rec.rule(r.rule);
      if (r.rule.allow) {
        if (rec === null) return EXCEPTION;
        allowed = true;
      } else found ??= r;
    }
    return allowed ? EXCEPTION : found;
  }

  /** Whether a block rule of the `applies` lists names `host` (the proxy decrypts only then). */
  blocksOn(host: string, applies: Uint8Array): boolean {
    if (this.byHost.size === 0) return false;
    for (let i = 0; ;) {
      const rules = this.byHost.get(i === 0 ? host : host.slice(i));
      if (rules)
        for (const r of rules)
          if (applies[r.list] !== 0 && !r.rule.allow && (i === 0 || r.value.hostKind === 'suffix'))
            return true;
      const dot = host.indexOf('.', i);
      if (dot < 0) return false;
      i = dot + 1;
    }
  }

  /** Every rule, for tools that print the policy (`explain`, the PAC file). */
  rules(): readonly RuleRef[] {
    return this.all.map((r) => r.rule);
  }

  private candidates(host: string): CompiledRule<UrlRuleSpec>[] {
    const out: CompiledRule<UrlRuleSpec>[] = [...this.anyHost];
    for (let i = 0; ;) {
      const rules = this.byHost.get(i === 0 ? host : host.slice(i));
      if (rules) for (const r of rules) if (r.value.hostKind === 'suffix' || i === 0) out.push(r);
      const dot = host.indexOf('.', i);
      if (dot < 0) return out;
      i = dot + 1;
    }
  }
}
