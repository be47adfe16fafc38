// A batch of events as the writer thread receives it: the fields a rule gives (app, category, list,
// rule, source) are sent once per distinct rule, not once per event, which halves what the
// structured clone copies on the serving thread for a burst of blocks by the same list.
import type { PolicyEvent } from './event.ts';

type RuleTuple = readonly [app: string, category: string, list: string, rule: string, source: string];
type EventTuple = readonly [
  time: number,
  client: string,
  group: string,
  identity: string,
  layer: PolicyEvent['layer'],
  protocol: string,
  target: string,
  kind: string,
  decision: PolicyEvent['decision'],
  rule: number,
  answer: string,
  durationMs: number,
  intercepted: boolean,
];

export interface EncodedBatch {
  readonly rules: readonly RuleTuple[];
  readonly events: readonly EventTuple[];
}

export function encodeBatch(batch: readonly PolicyEvent[]): EncodedBatch {
  // Two lookups (list, then rule text) instead of a composite key: no string built per event.
  const index = new Map<string, Map<string, number>>();
  const rules: RuleTuple[] = [];
  const events: EventTuple[] = new Array<EventTuple>(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const e = batch[i];
    let byRule = index.get(e.list);
    if (byRule === undefined) {
      byRule = new Map();
      index.set(e.list, byRule);
    }
    let r = byRule.get(e.rule);
    if (r === undefined || rules[r][4] !== e.source || rules[r][0] !== e.app || rules[r][1] !== e.category) {
      r = rules.length;
      rules.push([e.app, e.category, e.list, e.rule, e.source]);
      byRule.set(e.rule, r);
    }
    events[i] = [
      e.time,
      e.client,
      e.group,
      e.identity,
      e.layer,
      e.protocol,
      e.target,
      e.kind,
      e.decision,
      r,
      e.answer,
      e.durationMs,
      e.intercepted,
    ];
  }
  return { rules, events };
}

export function decodeBatch(b: EncodedBatch): PolicyEvent[] {
  return b.events.map((t) => {
    const [app, category, list, rule, source] = b.rules[t[9]];
    return {
      time: t[0],
      client: t[1],
      group: t[2],
      identity: t[3],
      layer: t[4],
      protocol: t[5],
      target: t[6],
      kind: t[7],
      decision: t[8],
      app,
      category,
      list,
      rule,
      source,
      answer: t[10],
      durationMs: t[11],
      intercepted: t[12],
    };
  });
}
