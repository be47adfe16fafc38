// Counts config reloads by outcome, for banwall_config_reloads_total{result}.
export class ReloadStats {
  success = 0;
  failure = 0;
  record(ok: boolean): void {
    if (ok) this.success++;
    else this.failure++;
  }
}
