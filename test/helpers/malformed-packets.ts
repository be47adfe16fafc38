// Malformed DNS packets for the flood tests: random bytes and valid queries with bytes overwritten,
// from a seeded generator so that a failing flood is the same flood at the next run.
import dgram from 'node:dgram';

/** A linear congruential generator in [0, 1): the same numbers for the same seed. */
export function seededRandom(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

/** Random bytes, fewer than `maxLength` of them (header-sized or not). */
export function randomPacket(rnd: () => number, maxLength: number): Buffer {
  const pkt = Buffer.alloc(Math.floor(rnd() * maxLength));
  for (let j = 0; j < pkt.length; j++) pkt[j] = Math.floor(rnd() * 256);
  return pkt;
}

/** A valid query with a few bytes overwritten: reaches deeper into the parser than random bytes. */
export function mutatedQuery(rnd: () => number, query: Buffer): Buffer {
  const pkt = Buffer.from(query);
  for (let k = 0; k < 3; k++) pkt[Math.floor(rnd() * pkt.length)] = Math.floor(rnd() * 256);
  pkt[2] &= 0x7f; // keep it a query so that it is parsed, not dropped
  return pkt;
}

/**
 * Sends 100 batches of 100 datagrams to 127.0.0.1:`port`, every other one random bytes (fewer than
 * `maxLength`) and every other one `query` mutated, then closes the socket.
 */
export async function udpFlood(port: number, query: Buffer, seed: number, maxLength: number): Promise<void> {
  const sock = dgram.createSocket('udp4');
  const rnd = seededRandom(seed);
  for (let batch = 0; batch < 100; batch++) {
    for (let i = 0; i < 100; i++) {
      sock.send(i % 2 === 0 ? randomPacket(rnd, maxLength) : mutatedQuery(rnd, query), port, '127.0.0.1');
    }
    // Pace the flood so that the kernel buffer, not the server, is never the limit.
    await new Promise((r) => setImmediate(r));
  }
  await new Promise<void>((r) => sock.close(() => r()));
}
