import { fmt, label } from "./context.js";
import { findingCost } from "./score.js";
import type { AuditReport, Finding, Severity } from "./types.js";

const SEVERITY_ORDER: readonly Severity[] = ["high", "medium", "low", "info"];

function percent(count: number, total: number): string {
  if (total <= 0) return "–";
  const p = (100 * count) / total;
  return `${p > 0 && p < 0.1 ? "<0.1" : p.toFixed(1)}%`;
}

function table(rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string[] {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((r) =>
    r
      .map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}

function bySeverityThenCost(a: Finding, b: Finding): number {
  const s = SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity);
  return s !== 0 ? s : findingCost(b) - findingCost(a) || b.count - a.count;
}

/**
 * Renders an audit report as text for people: the score, the problems found (worst first, with a few example
 * ids), the checks that found nothing, and how complete each customer field is.
 */
export function formatAuditReport(report: AuditReport): string {
  const out: string[] = [];
  out.push(`Data quality score: ${report.score.toFixed(1)} / 100   (as of ${report.asOf})`);
  out.push("");
  const sizes = Object.entries(report.totals)
    .filter(([k]) => k !== "customers_with_profile")
    .map(([k, v]) => `${label(k).toLowerCase()} ${fmt(v)}`);
  out.push(`Data: ${sizes.join(", ")}`);
  out.push(`      ${fmt(report.totals.customers_with_profile ?? 0)} customers described by a customers file`);
  for (const note of report.notes) out.push(`Note: ${note}`);

  const found = report.findings.filter((f) => f.count > 0).sort(bySeverityThenCost);
  out.push("", found.length === 0 ? "No problems found." : "Findings (worst first)");
  if (found.length > 0) {
    const rows: string[][] = [["severity", "affected", "of", "share", "points", "what"]];
    for (const f of found) {
      const cost = findingCost(f);
      rows.push([
        f.severity,
        fmt(f.count),
        fmt(f.total),
        percent(f.count, f.total),
        cost === 0 ? "0" : cost < 0.05 ? "~0" : `-${cost.toFixed(1)}`,
        f.title,
      ]);
    }
    const lines = table(rows, new Set([1, 2, 3, 4]));
    out.push(`  ${lines[0]}`);
    found.forEach((f, i) => {
      out.push(`  ${lines[i + 1]}`);
      const indent = " ".repeat((lines[0]?.indexOf("what") ?? 0) + 4);
      if (f.detail) out.push(`${indent}${f.detail}`);
      if (f.examples.length > 0) out.push(`${indent}e.g. ${f.examples.join(", ")}`);
    });
  }

  const clean = report.findings.filter((f) => f.count === 0 && f.total > 0);
  if (clean.length > 0) {
    out.push("", "Checked and clean");
    for (const f of clean) out.push(`  ${f.title} (${fmt(f.total)} checked)`);
  }

  if (report.completeness.length > 0) {
    out.push("", "Completeness of customer fields");
    const rows = [["field", "filled", "of", "share"]];
    for (const c of report.completeness) {
      rows.push([c.field, fmt(c.filled), fmt(c.total), percent(c.filled, c.total)]);
    }
    for (const line of table(rows, new Set([1, 2, 3]))) out.push(`  ${line}`);
  }
  out.push("", `How the score works: ${report.scoreRule}`);
  return out.join("\n");
}
