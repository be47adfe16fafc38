// Client addresses as the policy and ACL expect them: IPv4-mapped IPv6 (`::ffff:10.0.0.1`) unmapped.
export function unmapAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
