import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import type { AuditReport, Severity } from "./types.js";

/**
 * Recorded audits (migration 17, `audit_runs`): an audit of a large base is a job of its own (minutes on a million
 * customers), run when the data change, not at every look. What the dashboard's overview shows is the last one
 * recorded, with when it ran, and the score's course over the recorded runs. A record keeps counts only — no
 * example id — so that any role may read it (through the k-gate: audit-run-report.ts).
 */
export interface RecordedFinding {
  readonly check: string;
  readonly title: string;
  readonly table: string;
  readonly field: string | null;
  readonly severity: Severity;
  readonly count: number;
  readonly total: number;
}

export interface RecordedAudit {
  readonly auditedAt: string;
  readonly asOf: string;
  readonly score: number;
  readonly findings: readonly RecordedFinding[];
  readonly totals: Readonly<Record<string, number>>;
}

/** Records an audit's score and findings (without examples); returns what was recorded. */
export async function recordAudit(
  engine: Engine,
  report: AuditReport,
  at = new Date(),
): Promise<RecordedAudit> {
  const findings: RecordedFinding[] = report.findings.map((f) => ({
    check: f.check,
    title: f.title,
    table: f.table,
    field: f.field ?? null,
    severity: f.severity,
    count: f.count,
    total: f.total,
  }));
  const recorded = {
    auditedAt: at.toISOString(),
    asOf: report.asOf,
    score: report.score,
    findings,
    totals: report.totals,
  };
  const time = (iso: string) => sql.param(iso, "timestamp");
  await engine.run(
    sql`INSERT INTO audit_runs (audited_at, as_of, score, summary)
        VALUES (${time(recorded.auditedAt)}, ${time(recorded.asOf)}, ${sql.param(report.score, "number")},
                ${JSON.stringify({ findings, totals: report.totals })})`,
  );
  return recorded;
}

/** The recorded audits, newest first, at most `limit`. */
export async function recordedAudits(engine: Engine, limit: number): Promise<RecordedAudit[]> {
  const r = await engine.query(
    sql`SELECT audited_at, as_of, score, summary FROM audit_runs
         ORDER BY audited_at DESC LIMIT ${sql.param(limit, "integer")}`,
  );
  return r.rows<{ audited_at: Date; as_of: Date; score: unknown; summary: unknown }>().map((row) => {
    const summary = JSON.parse(String(row.summary)) as Pick<RecordedAudit, "findings" | "totals">;
    return {
      auditedAt: row.audited_at.toISOString(),
      asOf: row.as_of.toISOString(),
      score: Number(row.score),
      findings: summary.findings,
      totals: summary.totals,
    };
  });
}
