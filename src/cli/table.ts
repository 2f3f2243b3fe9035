/** Renders rows as an aligned text table for people (numbers right-aligned). */
export function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((r) => r.map(cell));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)));
  const numeric = headers.map(
    // A count the k-gate suppressed (`<10`) stands in a column of numbers.
    (_, i) =>
      rows.length > 0 &&
      rows.every((r) => typeof r[i] === "number" || r[i] === null || /^<\d+$/.test(String(r[i]))),
  );
  const line = (vals: readonly string[]) =>
    vals
      .map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return `${[line(headers), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n")}\n`;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number")
    return Number.isInteger(v)
      ? v.toLocaleString("en-US")
      : v.toLocaleString("en-US", { maximumFractionDigits: 2 });
  return String(v);
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}
