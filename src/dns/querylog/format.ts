// Query types by mnemonic for events and logs (TYPEnnn for the rest, RFC 3597).
const TYPE_NAMES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  35: 'NAPTR',
  43: 'DS',
  48: 'DNSKEY',
  64: 'SVCB',
  65: 'HTTPS',
  255: 'ANY',
  257: 'CAA',
};

export function typeName(qtype: number): string {
  return TYPE_NAMES[qtype] ?? `TYPE${qtype}`;
}
