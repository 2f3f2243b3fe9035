import { z } from "zod";
import { type AuditLogPage, auditLogPage } from "../privacy/audit-log-pages.js";
import { defineOperation } from "./operation.js";
import { wholeNumber } from "./schema-types.js";

export const PrivacyAuditEntriesInput = z
  .object({
    /** Only entries of these actions (`privacy.erase`, `privacy.export`); none: every entry. */
    actions: z.array(z.string().trim().min(1).max(200)).max(100).default([]),
    /** Entries to skip, newest first. */
    offset: wholeNumber(0).max(1_000_000_000).default(0),
    /** At most this many entries (default 50). */
    limit: wholeNumber(1).max(1000).default(50),
  })
  .strict();

/**
 * `privacy.audit-log.entries`: one page of the audit log, newest first, filtered by action, with how many entries
 * match and which actions the log holds — for a reader that pages through it (the dashboard). The whole log and
 * the check of its chain: `privacy.audit-log`.
 */
export const privacyAuditEntriesOperation = defineOperation({
  name: "privacy.audit-log.entries",
  summary:
    "a page of the audit log, newest first, filtered by action, with the count matching and the actions held",
  input: PrivacyAuditEntriesInput,
  access: "read",
  run: (session, input): Promise<AuditLogPage> => auditLogPage(session, input),
});
