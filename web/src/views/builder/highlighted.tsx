import type { ComponentChildren } from "preact";
import { highlight, type TokenClass } from "./highlight";

/** A stretch of a text a problem is about: an error, or a warning. */
export interface Mark {
  readonly start: number;
  readonly end: number;
  readonly level: "error" | "warning";
}

/**
 * A text of the segment language in colour, with its problems underlined. A problem at the end of a line or of
 * the text (where something was expected) has nothing to underline: it is shown as a marked space there.
 */
export function Highlighted({ text, marks = [] }: { text: string; marks?: readonly Mark[] }) {
  const pieces = highlight(text);
  const cuts = new Set<number>([0, text.length]);
  for (const p of pieces) cuts.add(p.start).add(p.end);
  for (const m of marks) cuts.add(m.start).add(m.end);
  const points = [...cuts].filter((c) => c >= 0 && c <= text.length).sort((a, b) => a - b);
  const kindAt = (offset: number): TokenClass =>
    pieces.find((p) => p.start <= offset && offset < p.end)?.kind ?? "plain";
  const levelAt = (start: number, end: number): Mark["level"] | undefined => {
    const over = marks.filter((m) => m.start < end && start < m.end);
    return over.some((m) => m.level === "error") ? "error" : over.length ? "warning" : undefined;
  };
  const out: ComponentChildren[] = [];
  // Empty marks (at a line's end, or where the text ends) at an offset.
  const gaps = marks.filter((m) => m.end <= m.start || text[m.start] === "\n" || m.start >= text.length);
  const gapAt = (offset: number) => {
    const g = gaps.filter((m) => m.start === offset);
    if (g.length)
      out.push(<span class={`mark-${g.some((m) => m.level === "error") ? "error" : "warning"} gap`}> </span>);
  };
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i] as number;
    const end = points[i + 1] as number;
    gapAt(start);
    const level = levelAt(start, end);
    const cls = `tok-${kindAt(start)}${level ? ` mark-${level}` : ""}`;
    out.push(<span class={cls}>{text.slice(start, end)}</span>);
  }
  gapAt(text.length);
  return <>{out}</>;
}
