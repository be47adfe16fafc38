// Config of encrypted DNS for devices: `dns.dot` (RFC 7858) and `dns.doh` (RFC 8484), each optional.
import { z } from 'zod';
import { listenAddress } from '../../config/types.ts';

export const dotSchema = z
  .object({
    listen: z.array(listenAddress(853)).min(1),
    cert: z.string(),
    key: z.string(),
  })
  .strict();

export const dohSchema = z
  .object({
    listen: z.array(listenAddress(443)).min(1),
    cert: z.string(),
    key: z.string(),
    path: z.string().default('/dns-query'),
  })
  .strict();
