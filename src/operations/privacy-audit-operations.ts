import { z } from "zod";
import {
  type AuditEntry,
  type AuditVerification,
  readAuditLog,
  verifyAuditLog,
} from "../privacy/audit-log.js";
import { defineOperation } from "./operation.js";
import { wholeNumber } from "./schema-types.js";

export const PrivacyAuditLogInput = z
  .object({
    /** At most this many entries, newest first (default 50). */
    limit: wholeNumber(1).max(1_000_000).default(50),
    /** Also recompute the hash chain from the first entry and say where it breaks, if it does. */
    verify: z.boolean().default(false),
  })
  .strict();

/** What `privacy.audit-log` answers. */
export interface PrivacyAuditLogResult {
  /** Newest first. */
  readonly entries: AuditEntry[];
  /** With `verify`: whether the chain holds, how many entries were checked, the first that does not match. */
  readonly verification?: AuditVerification;
}

/**
 * `privacy.audit-log`: the log of sensitive actions (reads of person-level data, exports, erasures, setting
 * changes), and with `verify` the check of its hash chain. The log names callers and actions, never customers.
 */
export const privacyAuditLogOperation = defineOperation({
  name: "privacy.audit-log",
  summary: "the audit log of sensitive actions, newest first; with verify, check its hash chain",
  input: PrivacyAuditLogInput,
  access: "read",
  run: async (session, { limit, verify }): Promise<PrivacyAuditLogResult> => {
    const entries = await readAuditLog(session, limit);
    return verify ? { entries, verification: await verifyAuditLog(session) } : { entries };
  },
});
