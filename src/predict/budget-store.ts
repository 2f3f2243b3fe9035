/**
 * The last budget plan, kept (issue 19, item 5): planned budgets are segment-level results, not per-customer
 * values, so they are a table of one row per segment (or audience) rather than a registered computed value —
 * a dashboard or report reads what was planned for a segment beside its KPIs. Rebuilt whole by every plan; the
 * figures are stored as the plan showed them (a suppressed segment's are NULL).
 */
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import type { BudgetBy, BudgetPlan } from "./budget-plan.js";

export const BUDGET_PLAN_TABLE = "budget_plan";

const COLUMNS = [
  { name: "planned_at", type: "timestamp" },
  { name: "plan_by", type: "string" },
  { name: "plan_key", type: "string" },
  { name: "name", type: "string" },
  { name: "channel", type: "string" },
  { name: "total", type: "number" },
  { name: "spend", type: "number" },
  { name: "expected_conversions", type: "number" },
  { name: "expected_revenue", type: "number" },
  { name: "roi", type: "number" },
  { name: "marginal_return", type: "number" },
  { name: "status", type: "string" },
  { name: "suppressed", type: "boolean" },
  { name: "reason", type: "string" },
] as const;

/** Replaces the stored plan with `plan`. */
export async function savePlan(engine: Engine, plan: BudgetPlan, at: Date): Promise<void> {
  const d = engine.dialect;
  await engine.run(d.createTable(BUDGET_PLAN_TABLE, COLUMNS, ["plan_key"]));
  await engine.run(d.deleteWhere(BUDGET_PLAN_TABLE, sql`1 = 1`));
  const n = (v: number | null) => sql.param(v, "number");
  for (const s of plan.segments)
    await engine.run(
      sql`INSERT INTO ${sql.ident(BUDGET_PLAN_TABLE)}
            (planned_at, plan_by, plan_key, name, channel, total, spend, expected_conversions, expected_revenue,
             roi, marginal_return, status, suppressed, reason)
          VALUES (${sql.param(at.toISOString(), "timestamp")}, ${plan.by}, ${s.key}, ${s.name}, ${s.channel},
                  ${n(plan.total)}, ${n(s.spend)}, ${n(s.expectedConversions)}, ${n(s.expectedRevenue)}, ${n(s.roi)},
                  ${n(s.marginalReturn)}, ${s.status}, ${s.suppressed}, ${s.reason})`,
    );
}

/** One segment's line of the stored plan. */
export interface StoredPlanLine {
  readonly key: string;
  readonly name: string;
  readonly channel: string;
  readonly spend: number;
  readonly expectedConversions: number | null;
  readonly expectedRevenue: number | null;
  readonly roi: number | null;
  readonly marginalReturn: number | null;
  readonly status: string;
  readonly suppressed: boolean;
  readonly reason: string;
}

/** The stored plan: when, by what, its total and lines (null when no plan was made). */
export interface StoredPlan {
  readonly plannedAt: string;
  readonly by: BudgetBy;
  readonly total: number;
  readonly segments: StoredPlanLine[];
}

export async function loadPlan(engine: Engine): Promise<StoredPlan | null> {
  if ((await engine.tableColumns(BUDGET_PLAN_TABLE)).length === 0) return null;
  const r = await engine.query(
    sql`SELECT * FROM ${sql.ident(BUDGET_PLAN_TABLE)} ORDER BY spend DESC, plan_key`,
  );
  const rows = r.rows<Record<string, unknown>>();
  const first = rows[0];
  if (first === undefined) return null;
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const at = first.planned_at instanceof Date ? first.planned_at : new Date(String(first.planned_at));
  return {
    plannedAt: at.toISOString(),
    by: first.plan_by as BudgetBy,
    total: Number(first.total),
    segments: rows.map((x) => ({
      key: String(x.plan_key),
      name: String(x.name),
      channel: String(x.channel),
      spend: Number(x.spend),
      expectedConversions: num(x.expected_conversions),
      expectedRevenue: num(x.expected_revenue),
      roi: num(x.roi),
      marginalReturn: num(x.marginal_return),
      status: String(x.status),
      suppressed: Boolean(x.suppressed),
      reason: String(x.reason),
    })),
  };
}
