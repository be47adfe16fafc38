// Config of the audit log of policy changes: `audit`.
import { z } from 'zod';

export const auditSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** The log file, relative to the config file's directory. */
    path: z.string().min(1).default('../var/audit.log'),
  })
  .strict()
  .prefault({});
