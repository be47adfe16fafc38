// One event as an RFC 5424 syslog message: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID - MSG`, the MSG
// being the event as one JSON object, which SIEMs (Splunk, Elastic, Sentinel, QRadar) parse as is.
import type { PolicyEvent } from '../event.ts';

export const FACILITIES = {
  kern: 0,
  user: 1,
  daemon: 3,
  auth: 4,
  syslog: 5,
  authpriv: 10,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;
export type Facility = keyof typeof FACILITIES;

/** Severity by decision: a block is a notice worth a SIEM's attention, the rest informational. */
const SEVERITY: Record<PolicyEvent['decision'], number> = { blocked: 5, monitored: 5, allowed: 6 };

/** RFC 5424 §6.2.4: printable US-ASCII without spaces, at most 255 characters. */
function header(text: string, max: number): string {
  const clean = text.replace(/[^\x21-\x7e]/g, '');
  return clean === '' ? '-' : clean.slice(0, max);
}

export interface SyslogIdentity {
  readonly facility: Facility;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: number;
}

export function formatRfc5424(e: PolicyEvent, id: SyslogIdentity): string {
  const pri = FACILITIES[id.facility] * 8 + SEVERITY[e.decision];
  const time = new Date(e.time).toISOString();
  const msg = JSON.stringify({ ...e, time });
  return `<${pri}>1 ${time} ${header(id.hostname, 255)} ${header(id.appName, 48)} ${id.procId} ${e.decision} - ${msg}`;
}
