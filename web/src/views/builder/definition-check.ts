import type { At } from "./positions";

/** What POST /api/segments/check answers (src/segments/check.ts). */
export interface LocatedIssue {
  readonly path: string;
  readonly message: string;
  /** Where in the text (null for a JSON document). */
  readonly at: At | null;
  /** The name it suggests, and what replaces the span (text) or the value at the path (JSON); null: none. */
  readonly suggestion: { readonly value: string; readonly replacement: string | null } | null;
}

export interface DefinitionCheck {
  readonly valid: boolean;
  readonly form: "text" | "json";
  readonly document: unknown;
  readonly text: string | null;
  readonly issues: readonly LocatedIssue[];
  readonly warnings: readonly LocatedIssue[];
}

/** What POST /api/segments/preview answers, through the k-gate. */
export interface Preview {
  readonly id: string;
  readonly size: number | null;
  readonly customers: number;
  readonly share: number | null;
  readonly sample: readonly string[];
  readonly suppressed: boolean;
  readonly minGroup: number;
}

/** The steps of a document path as the API writes it: `where.all[1].trait` → ["where", "all", 1, "trait"]. */
export function pathSteps(path: string): (string | number)[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] !== undefined ? Number(m[2]) : (m[1] as string),
  );
}

/** A copy of a JSON document with the value at `path` replaced (unchanged when the path is not in it). */
export function withValueAt(doc: unknown, path: string, value: unknown): unknown {
  const steps = pathSteps(path);
  const copy = structuredClone(doc);
  let node: unknown = copy;
  for (const [i, step] of steps.entries()) {
    if (typeof node !== "object" || node === null) return doc;
    const holder = node as Record<string | number, unknown>;
    if (i === steps.length - 1) {
      if (!(step in holder)) return doc;
      holder[step] = value;
    } else node = holder[step];
  }
  return copy;
}
