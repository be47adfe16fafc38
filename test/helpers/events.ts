// One event as the sinks receive it: a DNS block of weixin.qq.com by default, fields overridable.
import type { PolicyEvent } from '../../src/events/event.ts';

export function blockEvent(over: Partial<PolicyEvent> = {}): PolicyEvent {
  return {
    time: Date.now(),
    client: '127.0.0.2',
    group: 'default',
    identity: '',
    layer: 'dns',
    protocol: 'udp',
    target: 'weixin.qq.com',
    kind: 'A',
    decision: 'blocked',
    app: 'wechat',
    category: 'core',
    list: 'wechat-core',
    rule: 'weixin.qq.com',
    source: 'blocklists/wechat/core.txt:3',
    answer: 'NXDOMAIN EDE 15',
    durationMs: 0.2,
    intercepted: false,
    ...over,
  };
}
