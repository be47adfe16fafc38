// Client addresses as the policy, the ACL and the logs expect them.

/** `::ffff:192.0.2.1` → `192.0.2.1`; anything else unchanged. Cheap enough for every query. */
export function unmapAddress(address: string): string {
  return address.charCodeAt(0) === 58 /* ':' */ && address.startsWith('::ffff:') && address.includes('.', 7)
    ? address.slice(7)
    : address;
}
