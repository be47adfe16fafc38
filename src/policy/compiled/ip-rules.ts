// The IP rules of every list (CIDRs, for the proxy's IP-literal hosts and `explain`), searched
// through one IpTable: any exception containing the address allows, else the most specific block.
import type { RuleRef } from '../snapshot.ts';
import { IpTable } from '../match/ip-table.ts';
import { EXCEPTION, type CompiledRule, type RuleVerdict } from './compiled-rule.ts';
import type { RuleRecorder } from './rule-trace.ts';

export class IpRules {
  private readonly rules: readonly CompiledRule<string>[];
  private readonly table: IpTable;
  /** The table's answer buffer, reused: a lookup allocates nothing. */
  private readonly found = new Int32Array(256);

  constructor(rules: readonly CompiledRule<string>[]) {
    this.rules = rules;
    this.table = new IpTable(rules.map((r) => r.value));
  }

  get size(): number {
    return this.rules.length;
  }

  decide(address: string, applies: Uint8Array, rec: RuleRecorder | null): RuleVerdict<string> {
    const n = this.table.collect(address, this.found);
    let found = -1;
    let allowed = false;
    for (let i = 0; i < n; i++) {
      const r = this.rules[this.found[i]];
      if (applies[r.list] === 0) continue;
      if (rec !== null) rec.rule(r.rule);
      if (r.rule.allow) {
        if (rec === null) return EXCEPTION;
        allowed = true;
      } else if (found < 0) found = this.found[i];
    }
    if (allowed) return EXCEPTION;
    return found < 0 ? null : this.rules[found];
  }

  /** The block rules with their CIDRs (the firewall export). */
  blockRules(): readonly { readonly cidr: string; readonly rule: RuleRef }[] {
    return this.rules.filter((r) => !r.rule.allow).map((r) => ({ cidr: r.value, rule: r.rule }));
  }
}
