/**
 * The limits of a segment definition (README, "Segments"), checked before anything recurses over it: a definition
 * nested 10,000 deep or with 100,000 conditions must be refused with its limit named, not overflow the stack of
 * the schema, the checker, the compiler, or the SQL engine's parser.
 */
export const LIMITS = {
  /** Levels of nesting: `all`, `any`, `not` (and an event's property groups, counted on from the event). */
  depth: 16,
  /** Conditions and property conditions, groups included. */
  nodes: 1000,
  /** Values in `in` / `not_in` lists, over the whole definition (each is a bound parameter). */
  values: 10_000,
  /** Characters of a definition's text (the text form, or a JSON file). */
  textLength: 1_000_000,
  /** The largest magnitude of a number: larger ones are not whole numbers exactly in JavaScript or bound exactly. */
  number: Number.MAX_SAFE_INTEGER,
} as const;

const fmt = (n: number) => n.toLocaleString("en-US");

/** Why a number cannot be in a definition (not finite, or beyond ±2^53 − 1), or undefined when it can. */
export function numberProblem(n: number, written: string = String(n)): string | undefined {
  if (Number.isFinite(n) && Math.abs(n) <= LIMITS.number) return undefined;
  return `number ${written} is out of range: numbers are at most ${fmt(LIMITS.number)} in size`;
}

/** Why a definition's text is too long, or undefined. */
export function textLengthProblem(text: string): string | undefined {
  return text.length > LIMITS.textLength
    ? `the definition is ${fmt(text.length)} characters long; the limit is ${fmt(LIMITS.textLength)}`
    : undefined;
}

/** A place in a definition and what is over a limit there. */
export interface ShapeProblem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

const GROUPS = ["all", "any"] as const;

/**
 * Measures a definition's condition tree (the document as given, before any schema reads it) without recursion:
 * an explicit stack, stopped at the first node past a limit, so a document of any depth or size costs at most
 * `LIMITS.nodes` steps. Follows `all`, `any`, `not` and an event's `where` (property conditions); what is not a
 * condition is left for the schema to refuse. Returns the first limit passed, with the path of the node.
 */
export function shapeProblem(
  where: unknown,
  root: readonly PropertyKey[] = ["where"],
): ShapeProblem | undefined {
  const stack: { node: unknown; path: readonly PropertyKey[]; depth: number }[] = [
    { node: where, path: root, depth: 1 },
  ];
  let nodes = 0;
  let values = 0;
  while (stack.length > 0) {
    const { node, path, depth } = stack.pop() as (typeof stack)[number];
    if (depth > LIMITS.depth) return { path, message: `nested deeper than ${LIMITS.depth} levels` };
    if (++nodes > LIMITS.nodes)
      return { path, message: `has more than ${fmt(LIMITS.nodes)} conditions (the limit)` };
    if (typeof node !== "object" || node === null || Array.isArray(node)) continue;
    const o = node as Record<string, unknown>;
    for (const list of ["in", "not_in"] as const) {
      const v = o[list];
      if (!Array.isArray(v)) continue;
      values += v.length;
      if (values > LIMITS.values)
        return {
          path: [...path, list],
          message: `has more than ${fmt(LIMITS.values)} values in in/not_in lists (the limit)`,
        };
    }
    // Children pushed in reverse, so the first one past a limit in document order is the one reported.
    const kids: { node: unknown; path: readonly PropertyKey[] }[] = [];
    for (const g of GROUPS) {
      const items = o[g];
      if (!Array.isArray(items)) continue;
      if (nodes + items.length > LIMITS.nodes)
        return { path: [...path, g], message: `has more than ${fmt(LIMITS.nodes)} conditions (the limit)` };
      for (const [i, x] of items.entries()) kids.push({ node: x, path: [...path, g, i] });
    }
    if (o.not !== undefined) kids.push({ node: o.not, path: [...path, "not"] });
    if ("event" in o && o.where !== undefined) kids.push({ node: o.where, path: [...path, "where"] });
    for (let i = kids.length - 1; i >= 0; i--) {
      const k = kids[i] as (typeof kids)[number];
      stack.push({ ...k, depth: depth + 1 });
    }
  }
  return undefined;
}
