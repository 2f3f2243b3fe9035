import { z } from "zod";
import { type AuditReport, audit } from "../quality/audit.js";
import { defineOperation } from "./operation.js";
import { isoTime, wholeNumber } from "./schema-types.js";

export const AuditInput = z
  .object({
    /** Judge as of this moment (default now): later timestamps are in the future. */
    asOf: isoTime.optional(),
    /** No activity for this many days makes a contact stale. */
    staleDays: wholeNumber(1).default(365),
    /** Example ids per finding. */
    examples: wholeNumber(0).default(5),
  })
  .strict();

/** `audit`: data quality — completeness, invalid values, duplicates, stale contacts, orphans, outliers; a score. */
export const auditOperation = defineOperation({
  name: "audit",
  summary: "audit data quality and score it from 0 to 100",
  input: AuditInput,
  access: "read",
  // Its findings give example ids (some of them customers').
  people: { count: (r: AuditReport) => r.findings.reduce((n, f) => n + f.examples.length, 0) },
  run: (session, input): Promise<AuditReport> => audit(session, input),
});
