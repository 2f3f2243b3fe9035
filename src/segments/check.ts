import { suggestionIn } from "../common/did-you-mean.js";
import type { Engine } from "../store/engine.js";
import { canonicalDefinition, SegmentSchema } from "./definition.js";
import { definitionWarnings } from "./hints.js";
import { KEYWORDS, printSegment } from "./text/print.js";
import { parseSegmentText, parseSegmentTextLocated } from "./text/segment-document.js";
import { SegmentTextError } from "./text/segment-text-error.js";
import type { Span } from "./text/spans.js";
import { SegmentError, type SegmentIssue, validateWithDatabase } from "./validate.js";

/**
 * A definition checked as it is being written (the dashboard's builder): every problem and warning with where it
 * is in the text (line and column, as data), the name it suggests and how to write that in its place, and the
 * definition in its other form — the JSON document a text parses to, or the text a JSON document prints as. The
 * checks are those of a save or a preview (`validateWithDatabase`, then `definitionWarnings`); nothing is
 * evaluated.
 */

/**
 * A fix a problem suggests: the name, and what would replace it — in a text, the text of the problem's span (null:
 * it cannot be put in place); in a JSON document, the value at the problem's path.
 */
export interface Suggestion {
  readonly value: string;
  readonly replacement: string | null;
}

/** A problem (or warning) with its place in the text: null for a JSON document, which has no lines. */
export interface LocatedIssue extends SegmentIssue {
  readonly at: Omit<Span, "token"> | null;
  readonly suggestion: Suggestion | null;
}

export interface DefinitionCheck {
  /** Whether the definition could be saved as it is (warnings do not stop a save). */
  readonly valid: boolean;
  readonly form: "text" | "json";
  /** The JSON document: the one given, or the one the text parses to; null when the text does not parse. */
  readonly document: unknown;
  /**
   * The text form: the one given, or the one a JSON document prints as (null when the document is not well formed
   * enough to print, or its text would not read back as the same definition).
   */
  readonly text: string | null;
  readonly issues: LocatedIssue[];
  readonly warnings: LocatedIssue[];
}

/** Checks a definition given in either form (a text is a string, a JSON document anything else). */
export async function checkDefinition(engine: Engine, definition: unknown): Promise<DefinitionCheck> {
  const form = typeof definition === "string" ? "text" : "json";
  let document: unknown = definition;
  let spans: ReadonlyMap<string, Span> = new Map();
  if (typeof definition === "string") {
    try {
      ({ document, spans } = parseSegmentTextLocated(definition));
    } catch (e) {
      if (!(e instanceof SegmentTextError)) throw e;
      const [issue] = e.issues as [SegmentIssue];
      const at = {
        line: e.span.line,
        column: e.span.column,
        endLine: e.span.endLine,
        endColumn: e.span.endColumn,
      };
      return {
        valid: false,
        form,
        document: null,
        text: definition,
        issues: [{ ...issue, at, suggestion: null }],
        warnings: [],
      };
    }
  }
  const text = typeof definition === "string" ? definition : printed(definition);
  const place = (i: SegmentIssue) => locate(i, form === "text" ? spans : null);
  try {
    const { def, schema } = await validateWithDatabase(engine, document);
    const warnings = await definitionWarnings(engine, def, schema);
    return { valid: true, form, document, text, issues: [], warnings: warnings.map(place) };
  } catch (e) {
    if (!(e instanceof SegmentError)) throw e;
    return { valid: false, form, document, text, issues: e.issues.map(place), warnings: [] };
  }
}

/** A JSON document's text form, when it has one that reads back as the same definition. */
function printed(document: unknown): string | null {
  const parsed = SegmentSchema.safeParse(document);
  if (!parsed.success) return null;
  const text = printSegment(parsed.data);
  try {
    const back = SegmentSchema.safeParse(parseSegmentText(text));
    // A name or description with a line break, or spaces at its ends, has no header line that keeps it.
    return back.success && canonicalDefinition(back.data) === canonicalDefinition(parsed.data) ? text : null;
  } catch {
    return null;
  }
}

/** The path one step up: `where.all[1].trait` → `where.all[1]`; "" from a path of one step. */
function parentPath(path: string): string {
  const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
  return cut < 0 ? "" : path.slice(0, cut);
}

/** A name the lexer reads as one identifier. */
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** How a name replaces a bare name in the text: bare when it reads as one, else in its quoted call form. */
function bareName(value: string, path: string): string | null {
  if (IDENT.test(value) && !KEYWORDS.has(value)) return value;
  if (path.endsWith(".trait")) return `trait(${JSON.stringify(value)})`;
  if (path.endsWith(".property")) return `prop(${JSON.stringify(value)})`;
  return null;
}

/**
 * An issue with its place in the text (its path's span, else the nearest enclosing part's; the document's start
 * for a problem with the whole of it, such as a header missing) and the fix it suggests, written as the token it
 * replaces is: quoted for a string, bare for a name that reads as one (not a keyword) or in its call form.
 */
export function locate(issue: SegmentIssue, spans: ReadonlyMap<string, Span> | null): LocatedIssue {
  const value = suggestionIn(issue.message);
  if (spans === null)
    return { ...issue, at: null, suggestion: value === undefined ? null : { value, replacement: value } };
  let path = issue.path;
  let span = spans.get(path);
  while (span === undefined && path !== "") {
    path = parentPath(path);
    span = spans.get(path);
  }
  const { token, ...at } = span ?? { line: 1, column: 1, endLine: 1, endColumn: 1 };
  // Only a name or value in the issue's own place is replaced (not the enclosing part a path fell back to).
  const own = path === issue.path;
  const replacement =
    value === undefined || !own
      ? null
      : token === "string"
        ? JSON.stringify(value)
        : token === "ident"
          ? bareName(value, path)
          : null;
  return { ...issue, at, suggestion: value === undefined ? null : { value, replacement } };
}
