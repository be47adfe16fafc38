// Config of the ECH link: `dns.stripECH`.
import { z } from 'zod';

export const echSchema = {
  /** Remove the `ech` SvcParam from SVCB/HTTPS answers, so clients send a visible SNI. */
  stripECH: z.boolean().default(false),
};
