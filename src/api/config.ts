// Config of the HTTP listener for metrics, health, the admin API and the PAC file: `http`.
import { z } from 'zod';
import { listenAddress } from '../config/types.ts';

export const httpSchema = z
  .object({
    listen: z.array(listenAddress(9153)).min(1).prefault(['127.0.0.1:9153']),
    /** Bearer token for write endpoints; BANWALL_API_TOKEN overrides it. */
    token: z.string().min(16).optional(),
  })
  .strict()
  .prefault({});
