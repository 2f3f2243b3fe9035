import { z } from "zod";
import { reportMinGroup } from "../privacy/k-gate.js";
import { type AuditReport, audit } from "../quality/audit.js";
import { type GatedAudit, gateAudit } from "../quality/audit-run-report.js";
import { recordAudit, recordedAudits } from "../quality/audit-runs.js";
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

export const AuditRecordInput = AuditInput.omit({ examples: true });

/**
 * `audit.record`: runs the audit and records its score and counts (no example id: audit-runs.ts), which the
 * dashboard's overview shows until the next one; returns what was recorded, through the k-gate.
 */
export const auditRecordOperation = defineOperation({
  name: "audit.record",
  summary: "run the audit and record its score and counts (what the dashboard shows)",
  input: AuditRecordInput,
  access: "write",
  changes: ["data"],
  run: async (session, input): Promise<GatedAudit & { minGroup: number }> => {
    const report = await audit(session, { ...input, examples: 0 });
    const k = await reportMinGroup(session);
    return { ...gateAudit(await recordAudit(session, report), k), minGroup: k };
  },
});

export const AuditRunsInput = z
  .object({
    /** How many recorded audits' scores to give (the score's course), newest last. */
    runs: wholeNumber(1).max(1000).default(24),
  })
  .strict();

/**
 * `audit.runs`: the last recorded audit (score, findings' counts, when it ran and as of when) through the k-gate,
 * and the scores of the recorded audits before it: aggregates only, for any role that reads aggregates.
 */
export const auditRunsOperation = defineOperation({
  name: "audit.runs",
  summary: "the last recorded audit's score and findings, and the scores recorded before it",
  input: AuditRunsInput,
  access: "read",
  cachedUntil: ["data", "privacy"],
  run: async (
    session,
    { runs },
  ): Promise<{
    latest: GatedAudit | null;
    scores: { auditedAt: string; asOf: string; score: number }[];
    minGroup: number;
  }> => {
    const recorded = await recordedAudits(session, runs);
    const k = await reportMinGroup(session);
    const latest = recorded[0];
    return {
      latest: latest ? gateAudit(latest, k) : null,
      scores: recorded.map(({ auditedAt, asOf, score }) => ({ auditedAt, asOf, score })).reverse(),
      minGroup: k,
    };
  },
});
