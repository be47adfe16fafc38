// STUB (owned by the proxy helper; published by the observability helper): hot-path proxy counters.
export class ProxyStats {}
