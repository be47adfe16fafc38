// Every figure of every round, by metric and server; the table shows the median over rounds.
export type Direction = 'higher' | 'lower' | 'info';

export interface Metric {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly better: Direction;
  /** Decimal places when printed. */
  readonly digits: number;
}

export class Results {
  private readonly values = new Map<string, number[]>();
  readonly errors: string[] = [];

  add(metric: string, server: string, value: number): void {
    if (!Number.isFinite(value)) return;
    const k = `${metric}\u0000${server}`;
    const list = this.values.get(k) ?? [];
    list.push(value);
    this.values.set(k, list);
  }

  all(metric: string, server: string): number[] {
    return this.values.get(`${metric}\u0000${server}`) ?? [];
  }

  median(metric: string, server: string): number | undefined {
    const v = [...this.all(metric, server)].sort((a, b) => a - b);
    if (v.length === 0) return undefined;
    const mid = v.length >> 1;
    return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  }

  toJSON(): Record<string, number[]> {
    return Object.fromEntries([...this.values].map(([k, v]) => [k.replace('\u0000', ' / '), v]));
  }
}
