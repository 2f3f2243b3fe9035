/**
 * The layers of docs/DESIGN.md ("Layers"), checked on the source itself: every `.ts` file under src/ is read,
 * its imports (`import … from`, `export … from`, side-effect and dynamic imports; type-only ones count too)
 * resolved to files, and the resulting graph must have
 *   (a) no import cycles between files;
 *   (b) no file of the command line (src/cli/) reaching the store (operations open it for the CLI),
 *       and no SQL in the command line's string literals;
 *   (c) no upward imports: the store imports no domain module, no front door and no operation; domain modules
 *       import no front door and no operation; src/common/ imports no domain module and not the store;
 *   (d) no engine-specific SQL outside the engines' own folders (src/store/duckdb/, src/store/clickhouse/): in
 *       the string and template literals of every other file, none of DuckDB's or ClickHouse's own syntax,
 *       types or functions, no hand-numbered placeholder, and no import of an engine's package
 *       (/work/notes/sql-guide.md: domain SQL is `sql` fragments and `Dialect` hooks).
 * The checking functions are tried on small made-up graphs first, so that a rule which could never fail is
 * caught too.
 *
 * Tests and test-only helpers (`*.test.ts`, `test-*.ts`) take part in (a) but not in (b), (c) and (d): a test may
 * set up a store directly, or check in SQL what a command wrote.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");

// ---------------------------------------------------------------------------------------------------------------
// Reading TypeScript: a small lexer (comments, strings, template literals, regular expressions) is enough to tell
// import statements and string literals from everything else.

/**
 * Where a literal's text lies in the source: from text index `[k][0]` on, character by character, at source offset
 * `[k][1]` (escapes are kept as written, so only a template's `${…}` breaks the run).
 */
type Spans = readonly (readonly [number, number])[];

type Token =
  | { kind: "word"; value: string }
  | { kind: "punct"; value: string }
  | { kind: "string"; value: string; spans: Spans }
  /** A template literal's text, each `${…}` in it as "${}" (the expressions' own tokens come before it). */
  | { kind: "template"; value: string; spans: Spans };

const REGEX_AFTER_WORDS = new Set([
  "return",
  "typeof",
  "case",
  "do",
  "else",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "yield",
  "await",
  "instanceof",
]);

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  // Open braces: "code" for a block/object, "template" for a `${` of a template literal.
  const braces: ("code" | "template")[] = [];
  // The text so far of the template literals being read (one per level of nesting), with its spans.
  const templates: { text: string; spans: [number, number][] }[] = [];
  let i = 0;
  const n = source.length;

  const regexAllowed = (): boolean => {
    const prev = tokens.at(-1);
    if (!prev) return true;
    if (prev.kind === "word") return REGEX_AFTER_WORDS.has(prev.value);
    if (prev.kind === "punct") return ![")", "]", "}"].includes(prev.value);
    return false;
  };

  /** Reads on in the innermost template literal from i (after its "`" or a "}" closing a `${`), to "`" or "${". */
  const templatePiece = (): void => {
    const open = templates.pop() ?? { text: "", spans: [] };
    let text = open.text;
    const spans = open.spans;
    spans.push([text.length, i]);
    while (i < n) {
      const c = source[i] as string;
      if (c === "\\") {
        text += source.slice(i, i + 2);
        i += 2;
      } else if (c === "`") {
        i++;
        break;
      } else if (c === "$" && source[i + 1] === "{") {
        i += 2;
        templates.push({ text: `${text}\${}`, spans });
        braces.push("template");
        return;
      } else {
        text += c;
        i++;
      }
    }
    tokens.push({ kind: "template", value: text, spans });
  };

  while (i < n) {
    const c = source[i] as string;
    const next = source[i + 1];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "/" && next === "/") {
      while (i < n && source[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === '"' || c === "'") {
      let text = "";
      i++;
      const start = i;
      while (i < n && source[i] !== c && source[i] !== "\n") {
        if (source[i] === "\\") {
          text += source.slice(i, i + 2);
          i += 2;
        } else text += source[i++];
      }
      i++;
      tokens.push({ kind: "string", value: text, spans: [[0, start]] });
    } else if (c === "`") {
      i++;
      templates.push({ text: "", spans: [] });
      templatePiece();
    } else if (c === "/" && regexAllowed()) {
      // A regular expression literal: up to the closing "/" outside a character class, then its flags.
      let inClass = false;
      i++;
      while (i < n && source[i] !== "\n") {
        const r = source[i];
        if (r === "\\") i++;
        else if (r === "[") inClass = true;
        else if (r === "]") inClass = false;
        else if (r === "/" && !inClass) break;
        i++;
      }
      i++;
      while (i < n && /[a-z]/i.test(source[i] as string)) i++;
      tokens.push({ kind: "punct", value: "regex" });
    } else if (/[A-Za-z_$]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w$]/.test(source[j] as string)) j++;
      tokens.push({ kind: "word", value: source.slice(i, j) });
      i = j;
    } else if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w.]/.test(source[j] as string)) j++;
      tokens.push({ kind: "word", value: source.slice(i, j) });
      i = j;
    } else if (c === "{") {
      braces.push("code");
      tokens.push({ kind: "punct", value: c });
      i++;
    } else if (c === "}") {
      i++;
      if (braces.pop() === "template") templatePiece();
      else tokens.push({ kind: "punct", value: c });
    } else {
      tokens.push({ kind: "punct", value: c });
      i++;
    }
  }
  return tokens;
}

/** What a file imports: every module specifier of an import or re-export, static or dynamic, type-only or not. */
function importSpecifiers(source: string): string[] {
  const t = tokenize(source);
  const specs: string[] = [];
  const isPunct = (k: number, v: string) => t[k]?.kind === "punct" && t[k]?.value === v;
  const word = (k: number) => (t[k]?.kind === "word" ? t[k]?.value : undefined);
  const str = (k: number) => (t[k]?.kind === "string" ? t[k]?.value : undefined);
  /** From k, the string after the first `from` before the statement ends (";", or the next import/export). */
  const fromClause = (k: number): string | undefined => {
    for (let j = k; j < t.length; j++) {
      if (isPunct(j, ";")) return undefined;
      const w = word(j);
      if (w === "import" || w === "export") return undefined;
      if (w === "from" && str(j + 1) !== undefined) return str(j + 1);
    }
    return undefined;
  };
  for (let k = 0; k < t.length; k++) {
    const w = word(k);
    if (w !== "import" && w !== "export") continue;
    // `x.import`, `{ import: … }`: a property, not a statement.
    if (isPunct(k - 1, ".") || isPunct(k + 1, ":")) continue;
    if (w === "import") {
      if (isPunct(k + 1, ".")) continue; // import.meta
      if (isPunct(k + 1, "(")) {
        const s = str(k + 2);
        if (s !== undefined) specs.push(s);
        continue;
      }
      const s = str(k + 1) ?? fromClause(k + 1);
      if (s !== undefined) specs.push(s);
    } else {
      // Only `export *`, `export {…}`, `export type {…}` / `export type *` can name another module.
      let j = k + 1;
      if (word(j) === "type") j++;
      if (isPunct(j, "*") || isPunct(j, "{")) {
        const s = fromClause(j);
        if (s !== undefined) specs.push(s);
      }
    }
  }
  return specs;
}

/** The text of every string and template literal of a file (each `${…}` of a template as "${}"). */
function stringLiterals(source: string): string[] {
  return tokenize(source)
    .filter((t) => t.kind === "string" || t.kind === "template")
    .map((t) => t.value);
}

// ---------------------------------------------------------------------------------------------------------------
// The graph: file → the files it imports, as paths relative to the repository with "/" separators.

type Graph = ReadonlyMap<string, readonly string[]>;

const posix = (p: string) => p.split(sep).join("/");

/**
 * A relative specifier resolved as NodeNext resolves it for TypeScript ("./x.js" is ./x.ts); null for a package or
 * built-in; the path as written when no file matches (the tree test reports it).
 */
function resolveSpecifier(fromFile: string, spec: string): string | null {
  if (!spec.startsWith(".")) return null; // a package or node: built-in
  const base = join(ROOT, dirname(fromFile), spec);
  const candidates = spec.endsWith(".js")
    ? [base.replace(/\.js$/, ".ts"), base.replace(/\.js$/, ".tsx"), base]
    : [base, `${base}.ts`, join(base, "index.ts")];
  const found = candidates.find((c) => existsSync(c) && statSync(c).isFile());
  return found ? posix(relative(ROOT, found)) : posix(relative(ROOT, base));
}

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? tsFiles(`${dir}/${e.name}`)
      : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")
        ? [`${dir}/${e.name}`]
        : [],
  );
}

function loadTree(dir: string): { graph: Map<string, string[]>; texts: Map<string, string> } {
  const graph = new Map<string, string[]>();
  const texts = new Map<string, string>();
  for (const file of tsFiles(dir).sort()) {
    const text = readFileSync(join(ROOT, file), "utf8");
    texts.set(file, text);
    const targets = importSpecifiers(text)
      .map((s) => resolveSpecifier(file, s))
      .filter((f): f is string => f !== null);
    graph.set(file, [...new Set(targets)]);
  }
  return { graph, texts };
}

// ---------------------------------------------------------------------------------------------------------------
// The checks, as plain functions of a graph (so the tests below can feed them made-up ones).

/**
 * The import cycles of a graph: one per strongly connected component of more than one file (or a file importing
 * itself), each as a path that starts and ends at the same file, e.g. [a, b, c, a].
 */
function findCycles(graph: Graph): string[][] {
  // Tarjan's strongly connected components, iteratively.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  const edges = (v: string) => (graph.get(v) ?? []).filter((w) => graph.has(w));
  for (const start of [...graph.keys()].sort()) {
    if (index.has(start)) continue;
    const work: { v: string; next: number }[] = [{ v: start, next: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const frame = work.at(-1) as { v: string; next: number };
      const out = edges(frame.v);
      if (frame.next < out.length) {
        const w = out[frame.next++] as string;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, next: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.v, Math.min(low.get(frame.v) as number, index.get(w) as number));
        }
        continue;
      }
      work.pop();
      const parent = work.at(-1);
      if (parent) low.set(parent.v, Math.min(low.get(parent.v) as number, low.get(frame.v) as number));
      if (low.get(frame.v) === index.get(frame.v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop() as string;
          onStack.delete(w);
          component.push(w);
        } while (w !== frame.v);
        components.push(component);
      }
    }
  }
  const cycles: string[][] = [];
  for (const component of components) {
    const members = new Set(component);
    const first = [...component].sort()[0] as string;
    if (component.length === 1 && !edges(first).includes(first)) continue;
    // The shortest way from `first` back to itself inside its component (breadth first).
    const previous = new Map<string, string>();
    const queue = [first];
    let found = false;
    for (let q = 0; q < queue.length && !found; q++) {
      const v = queue[q] as string;
      for (const w of edges(v)) {
        if (!members.has(w)) continue;
        if (w === first) {
          const path = [first];
          for (let x = v; x !== first; x = previous.get(x) as string) path.unshift(x);
          path.unshift(first);
          cycles.push(path);
          found = true;
          break;
        }
        if (!previous.has(w)) {
          previous.set(w, v);
          queue.push(w);
        }
      }
    }
  }
  return cycles.sort((a, b) => (a[0] as string).localeCompare(b[0] as string));
}

/** Domain modules: what the platform does, below the operations and above the store. */
const DOMAIN = [
  "ingest",
  "quality",
  "segments",
  "analytics",
  "clustering",
  "privacy",
  "access",
  "synth",
  "common",
];

const under = (folder: string) => (f: string) => f.startsWith(`src/${folder}/`);
const anyOf =
  (...tests: ((f: string) => boolean)[]) =>
  (f: string) =>
    tests.some((t) => t(f));
const domain = anyOf(...DOMAIN.map(under));

interface LayerRule {
  readonly name: string;
  /** Files the rule holds for. */
  readonly applies: (file: string) => boolean;
  /** Files they must not import. */
  readonly forbidden: (target: string) => boolean;
}

const LAYER_RULES: readonly LayerRule[] = [
  {
    name: "the command line does not reach the store",
    applies: under("cli"),
    forbidden: under("store"),
  },
  {
    name: "the store imports no domain module, front door or operation",
    applies: under("store"),
    forbidden: anyOf(domain, under("cli"), under("server"), under("operations")),
  },
  {
    name: "domain modules import no front door or operation",
    applies: domain,
    forbidden: anyOf(under("cli"), under("server"), under("operations")),
  },
  {
    name: "src/common imports no domain module and not the store",
    applies: under("common"),
    forbidden: anyOf(...DOMAIN.filter((d) => d !== "common").map(under), under("store")),
  },
  {
    name: "the server does not reach the store or the domain (it runs operations)",
    applies: under("server"),
    forbidden: anyOf(under("store"), domain, under("cli")),
  },
];

/** Tests and test-only helpers: they may reach any layer. */
const isTestOnly = (file: string) => /(^|\/)(test-[^/]*|[^/]*\.test)\.ts$/.test(file);

/** Every import that breaks a rule, as "rule: importer → imported". */
function layerViolations(graph: Graph, rules: readonly LayerRule[] = LAYER_RULES): string[] {
  const out: string[] = [];
  for (const [file, targets] of [...graph].sort(([a], [b]) => a.localeCompare(b))) {
    if (isTestOnly(file)) continue;
    for (const rule of rules) {
      if (!rule.applies(file)) continue;
      for (const t of targets) if (rule.forbidden(t)) out.push(`${rule.name}: ${file} → ${t}`);
    }
  }
  return out;
}

/**
 * SQL in a string literal: a statement's keywords as SQL is written here (upper case), so that help texts
 * ("rows from the file", "select a segment") are not taken for it.
 */
const SQL = new RegExp(
  [
    String.raw`\bSELECT\s+[\w*"($]`,
    String.raw`\bINSERT\s+INTO\b`,
    String.raw`\bUPDATE\s+["\w.]+\s+SET\b`,
    String.raw`\bDELETE\s+FROM\b`,
    // FROM and a relation; not "FROM and TO are dates".
    String.raw`\bFROM\s+(?!(?:and|or|to|the|a|an|is|are|in|of|on|with|which)\b)["\w.$]+`,
    String.raw`\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP|TEMPORARY|TABLE|VIEW|INDEX|SEQUENCE|MACRO)\b`,
    String.raw`\b(?:DROP|ALTER)\s+(?:TABLE|VIEW)\b`,
    String.raw`\bWITH\s+\w+\s+AS\s*\(`,
  ].join("|"),
);

/** The string literals of the command line's files that hold SQL, as "file: literal". */
function sqlInCommandLine(texts: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [file, text] of texts) {
    if (!under("cli")(file) || isTestOnly(file)) continue;
    for (const s of stringLiterals(text)) {
      if (SQL.test(s)) out.push(`${file}: ${JSON.stringify(s.replace(/\s+/g, " ").trim().slice(0, 100))}`);
    }
  }
  return out;
}

/** The engines' own folders: the only files that may write an engine's SQL or load its package. */
const ENGINE_FOLDERS = ["src/store/duckdb/", "src/store/clickhouse/"];

/**
 * Names of SQL functions, as a call: `name(` (not a method `.name(`, not part of a longer name; no space before the
 * parenthesis, as SQL is written here and prose is not: "a segment now (at the last refresh)").
 */
const call = (...names: string[]) => String.raw`(?<![\w.])(?:${names.join("|")})\(`;

/**
 * One engine's syntax each: what a literal of domain code must not hold (its `sql` fragments go through `Dialect`
 * hooks instead). SQL keywords are matched in upper case, as SQL is written here, so that prose in messages ("insert
 * or update the row") is not taken for it; function names in any case, as a call.
 */
const ENGINE_SQL: readonly { readonly name: string; readonly pattern: RegExp }[] = [
  { name: "hand-numbered placeholder", pattern: /\$\d+(?!\w)/ },
  { name: "CREATE OR REPLACE", pattern: /\bCREATE\s+OR\s+REPLACE\b/ },
  { name: "temporary table or view", pattern: /\bTEMP(?:ORARY)?\s+(?:TABLE|VIEW)\b/ },
  { name: "FILTER (WHERE …)", pattern: /\bFILTER\s*\(\s*WHERE\b/i },
  { name: "cast with ::", pattern: /::\s*[A-Za-z]/ },
  {
    name: "an engine's type name",
    pattern:
      /\b(?:VARCHAR|BIGINT|UBIGINT|HUGEINT|DOUBLE|INTEGER|SMALLINT|TINYINT|TIMESTAMPTZ)\b(?!-)|\bAS\s+(?:TIMESTAMP|DATE|BOOLEAN|JSON|TEXT|REAL|FLOAT)\b|\bTIMESTAMP\s+'/,
  },
  {
    name: "a ClickHouse type name",
    pattern:
      /\b(?:Nullable|LowCardinality)\s*\(|\b(?:U?Int(?:8|16|32|64|128|256)|Float(?:32|64)|DateTime(?:64)?|Date32)\b/,
  },
  {
    name: "a DuckDB function",
    pattern: new RegExp(
      call(
        "quantile_cont",
        "quantile_disc",
        "strpos",
        "arg_max",
        "arg_min",
        "epoch",
        "list_\\w*",
        "regexp_\\w*",
        "json_\\w*",
        "to_json",
        "md5",
        "isodow",
        "isfinite",
        "try_cast",
        "try_strptime",
        "strptime",
        "make_timestamp",
        "bool_and",
        "bool_or",
        "struct_\\w*",
        "read_csv\\w*",
        "read_parquet",
        "read_json\\w*",
        "sniff_csv",
        String.raw`now(?=\(\s*\))`,
      ),
      "i",
    ),
  },
  {
    name: "a ClickHouse function",
    pattern: new RegExp(
      call(
        "arrayJoin",
        "array[A-Z]\\w*",
        "JSON[A-Z]\\w*",
        "multiIf",
        "(?:count|sum|min|max|avg|any|argMax|argMin|uniq)If",
        "argMax",
        "argMin",
        "quantile(?!_)\\w*",
        "to(?:U?Int\\d+|Float\\d+|Date\\d*|DateTime\\d*|UnixTimestamp\\w*|Decimal\\d+)\\w*",
        "replaceRegexp\\w*",
        "splitByRegexp",
        "parseDateTime\\w*",
        "now64",
        "rowNumberInAllBlocks",
      ),
    ),
  },
  { name: "UPDATE … SET", pattern: /\bUPDATE\s+["\w.]+(?:\s+AS\s+\w+)?\s+SET\b/ },
  { name: "ON CONFLICT", pattern: /\bON\s+CONFLICT\b/ },
  { name: "INSERT OR …", pattern: /\bINSERT\s+OR\b/ },
  { name: "QUALIFY", pattern: /\bQUALIFY\b/ },
  { name: "-infinity", pattern: /-infinity\b/i },
  {
    name: "DuckDB's star expressions, COPY, SAMPLE",
    pattern: /\bCOLUMNS\s*\(\s*\*|\*\s*EXCLUDE\b|\bUSING\s+SAMPLE\b|\bCOPY\s*\(/,
  },
  { name: "ClickHouse's ENGINE, FINAL, arrays", pattern: /\bENGINE\s*=\s*\w|\bFINAL\b|\bARRAY\s+JOIN\b/ },
];

/** An engine's package (or a module of it), as an import names it. */
const ENGINE_PACKAGE = /^(?:@duckdb\/[\w-]+|duckdb|chdb|@clickhouse\/[\w-]+)(?:\/[\w./-]*)?$/;

/** Is token k the module of an import (`from "…"`, `import "…"`, `import("…")`, `require("…")`)? */
function isModuleSpecifier(tokens: readonly Token[], k: number): boolean {
  const word = (j: number) => (tokens[j]?.kind === "word" ? tokens[j]?.value : undefined);
  const punct = (j: number) => (tokens[j]?.kind === "punct" ? tokens[j]?.value : undefined);
  if (word(k - 1) === "from" || (word(k - 1) === "import" && punct(k - 2) !== ".")) return true;
  return punct(k - 1) === "(" && (word(k - 2) === "import" || word(k - 2) === "require");
}

/** The line (1-based) of a literal's text index `k`, by its spans. */
function lineOf(source: string, spans: Spans, k: number): number {
  let offset = 0;
  for (const [from, at] of spans) if (from <= k) offset = at + (k - from);
  let line = 1;
  for (let j = 0; j < offset && j < source.length; j++) if (source[j] === "\n") line++;
  return line;
}

/**
 * Engine-specific SQL in the string and template literals of the files outside the engines' folders (tests and
 * test-only helpers apart), as "file:line: what: the literal's text around it". Comments and regular expression
 * literals are never read (the lexer skips them).
 */
function engineSqlOutsideEngines(texts: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [file, text] of [...texts].sort(([a], [b]) => a.localeCompare(b))) {
    if (!file.startsWith("src/") || isTestOnly(file) || ENGINE_FOLDERS.some((f) => file.startsWith(f)))
      continue;
    const tokens = tokenize(text);
    for (const [k, t] of tokens.entries()) {
      if (t.kind !== "string" && t.kind !== "template") continue;
      if (t.kind === "string" && ENGINE_PACKAGE.test(t.value) && isModuleSpecifier(tokens, k))
        out.push(`${file}:${lineOf(text, t.spans, 0)}: an engine's package: ${JSON.stringify(t.value)}`);
      for (const rule of ENGINE_SQL) {
        const seen = new Set<number>();
        for (const m of t.value.matchAll(new RegExp(rule.pattern.source, `${rule.pattern.flags}g`))) {
          const line = lineOf(text, t.spans, m.index);
          if (seen.has(line)) continue;
          seen.add(line);
          const around = t.value
            .slice(Math.max(0, m.index - 30), m.index + m[0].length + 30)
            .replace(/\s+/g, " ")
            .trim();
          out.push(`${file}:${line}: ${rule.name}: ${JSON.stringify(around)}`);
        }
      }
    }
  }
  return out;
}

const cycleText = (cycles: string[][]) => cycles.map((c) => c.join(" → ")).join("\n");

// ---------------------------------------------------------------------------------------------------------------

describe("the checks themselves", () => {
  it("reads every kind of import, and nothing in comments or strings", () => {
    const source = `
      import { a, type B } from "./a.js";
      import type { C } from "../c.js";
      import D, * as E from "./d.js";
      import {
        f,
        g,
      } from "./multi-line.js";
      import "./side-effect.js";
      export * from "./star.js";
      export * as ns from "./star-as.js";
      export { h } from "./re-export.js";
      export type { I } from "./type-re-export.js";
      export const j = await import("./dynamic.js");
      export function k() { return x.from("./not-an-import.js"); }
      // import { l } from "./commented.js";
      /* export * from "./block-commented.js"; */
      const m = "import { n } from './in-a-string.js'";
      const o = \`
      import { p } from "./in-a-template.js";
      \${q}\`;
      const r = /import "\\.\\/in-a-regex.js"/;
      const meta = import.meta.dirname;
    `;
    expect(importSpecifiers(source)).toEqual([
      "./a.js",
      "../c.js",
      "./d.js",
      "./multi-line.js",
      "./side-effect.js",
      "./star.js",
      "./star-as.js",
      "./re-export.js",
      "./type-re-export.js",
      "./dynamic.js",
    ]);
  });

  it("reports a cycle of three files with its files, and none in a graph without one", () => {
    const graph = new Map([
      ["src/x/a.ts", ["src/x/b.ts", "src/x/d.ts"]],
      ["src/x/b.ts", ["src/x/c.ts"]],
      ["src/x/c.ts", ["src/x/a.ts"]],
      ["src/x/d.ts", []],
    ]);
    expect(findCycles(graph)).toEqual([["src/x/a.ts", "src/x/b.ts", "src/x/c.ts", "src/x/a.ts"]]);
    expect(cycleText(findCycles(graph))).toBe("src/x/a.ts → src/x/b.ts → src/x/c.ts → src/x/a.ts");
    graph.set("src/x/c.ts", ["src/x/d.ts"]);
    expect(findCycles(graph)).toEqual([]);
    // A file importing itself, and two separate cycles.
    graph.set("src/x/d.ts", ["src/x/d.ts"]);
    graph.set("src/y/e.ts", ["src/y/f.ts"]);
    graph.set("src/y/f.ts", ["src/y/e.ts"]);
    expect(findCycles(graph)).toEqual([
      ["src/x/d.ts", "src/x/d.ts"],
      ["src/y/e.ts", "src/y/f.ts", "src/y/e.ts"],
    ]);
  });

  it("reports every kind of upward import, and lets the allowed ones pass", () => {
    const graph = new Map([
      ["src/cli/commands/rfm.ts", ["src/store/engine.ts", "src/operations/rfm.ts", "src/cli/context.ts"]],
      ["src/cli/context.ts", ["src/store/open-store.ts"]],
      ["src/store/engine.ts", ["src/segments/compile.ts", "src/cli/io.ts", "src/operations/x.ts"]],
      ["src/store/open-store.ts", ["src/store/engine.ts", "src/errors.ts"]],
      ["src/analytics/rfm.ts", ["src/operations/x.ts", "src/store/engine.ts", "src/common/duration.ts"]],
      ["src/segments/compile.ts", ["src/cli/parse.ts", "src/analytics/rfm.ts"]],
      ["src/common/duration.ts", ["src/ingest/x.ts", "src/store/engine.ts", "src/common/iso-time.ts"]],
      ["src/operations/x.ts", ["src/analytics/rfm.ts", "src/store/engine.ts"]],
      ["src/store/store.test.ts", ["src/ingest/import.ts"]],
      ["src/server/app.ts", ["src/operations/x.ts", "src/store/engine.ts", "src/segments/compile.ts"]],
      ["src/store/open-store.ts", ["src/store/engine.ts", "src/errors.ts", "src/server/app.ts"]],
    ]);
    const [cli, store, dom, common, server] = LAYER_RULES.map((r) => r.name);
    expect(layerViolations(graph)).toEqual([
      `${dom}: src/analytics/rfm.ts → src/operations/x.ts`,
      `${cli}: src/cli/commands/rfm.ts → src/store/engine.ts`,
      `${cli}: src/cli/context.ts → src/store/open-store.ts`,
      `${common}: src/common/duration.ts → src/ingest/x.ts`,
      `${common}: src/common/duration.ts → src/store/engine.ts`,
      `${dom}: src/segments/compile.ts → src/cli/parse.ts`,
      `${server}: src/server/app.ts → src/store/engine.ts`,
      `${server}: src/server/app.ts → src/segments/compile.ts`,
      `${store}: src/store/engine.ts → src/segments/compile.ts`,
      `${store}: src/store/engine.ts → src/cli/io.ts`,
      `${store}: src/store/engine.ts → src/operations/x.ts`,
      `${store}: src/store/open-store.ts → src/server/app.ts`,
    ]);
  });

  it("finds SQL in the command line's strings, and not ordinary words of help texts", () => {
    const texts = new Map([
      [
        "src/cli/commands/x.ts",
        [
          'const a = "SELECT count(*) FROM customers";',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a template literal
          "const b = `SELECT ${cols} FROM ${table}`;",
          "const c = 'INSERT INTO t VALUES ($1)';",
          'const d = "CREATE TEMP TABLE x AS SELECT 1";',
          "const e = `DELETE FROM segment_membership WHERE segment_id = $1`;",
          "const f = `UPDATE segments SET name = $1`;",
          'const help = "Select a segment from the file; rows from stdin. Create a table of members.";',
          'const g = "FROM and TO are ISO dates";',
          "// SELECT * FROM commented_out",
        ].join("\n"),
      ],
      ["src/store/y.ts", 'const q = "SELECT 1 FROM t";'],
      ["src/cli/y.test.ts", 'const q = "SELECT 1 FROM t";'],
    ]);
    expect(sqlInCommandLine(texts).map((s) => s.split(": ")[1])).toEqual([
      '"SELECT count(*) FROM customers"',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a template literal
      '"SELECT ${} FROM ${}"',
      '"INSERT INTO t VALUES ($1)"',
      '"CREATE TEMP TABLE x AS SELECT 1"',
      '"DELETE FROM segment_membership WHERE segment_id = $1"',
      '"UPDATE segments SET name = $1"',
    ]);
  });
});

describe("the engine-specific SQL check", () => {
  // The lines of a made-up domain file: each violation on a line of its own, so that a report names its line.
  const planted = [
    /* 1 */ 'import { DuckDBInstance } from "@duckdb/node-api";',
    /* 2 */ 'const chdb = await import("chdb");',
    /* 3 */ "const a = sql`SELECT * FROM t WHERE id = $1`;",
    /* 4 */ 'const b = "CREATE OR REPLACE TABLE x AS SELECT 1";',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a made-up source file
    /* 5 */ "const c = sql`CREATE TEMP TABLE ${name} (x int)`;",
    /* 6 */ 'const d = "sum(x) FILTER (WHERE y)";',
    /* 7 */ 'const e = "x::VARCHAR";',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a made-up source file
    /* 8 */ "const f = `CAST(${x} AS TIMESTAMP)`;",
    /* 9 */ 'const g = "CAST(x AS Nullable(Int64))";',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a made-up source file
    /* 10 */ "const h = `quantile_cont(${v}, 0.5)`;",
    /* 11 */ 'const i = "strpos(a, b) > 0";',
    /* 12 */ 'const j = "list_filter([a, b], x -> x IS NOT NULL)";',
    /* 13 */ 'const k = "UPDATE segments SET name = x";',
    /* 14 */ 'const l = "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING";',
    /* 15 */ 'const m = "INSERT OR REPLACE INTO t VALUES (1)";',
    /* 16 */ 'const n = "SELECT * FROM t QUALIFY row_number() OVER () = 1";',
    /* 17 */ "const o = \"CAST('-infinity' AS DATE)\";",
    /* 18 */ "const p = sql`SELECT * FROM read_parquet('x.parquet')`;",
    /* 19 */ 'const q = "SELECT now()";',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a made-up source file
    /* 20 */ "const r = sql`SELECT ${a},",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a made-up source file
    /* 21 */ "                   arrayJoin(${b}) AS x`;",
    /* 22 */ "// CREATE OR REPLACE TEMP TABLE x AS SELECT $1::VARCHAR, strpos(a, b), now()",
    /* 23 */ "/* UPDATE t SET a = $1 FILTER (WHERE x) */",
    /* 24 */ "const s = /\\$1 FILTER \\(WHERE x\\)::VARCHAR/g.test(text);",
    /* 25 */ "const t0 = performance.now();",
    /* 26 */ 'const u = "performance.now() and a segment now (at the last refresh); the total in $ and 1 DOUBLE-check";',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a made-up source file
    /* 27 */ 'const v = `${sql.temp("_seg_eval")} ${d.cast(x, "integer")} ${d.now()}`;',
    /* 28 */ 'const w = { scheme: "duckdb", package: "chdb" };',
    /* 29 */ 'import { clickhouseDialect } from "../store/clickhouse/clickhouse-dialect.js";',
  ].join("\n");
  const texts = new Map([
    ["src/segments/planted.ts", planted],
    [
      "src/store/duckdb/duckdb-dialect.ts",
      'const x = "CREATE OR REPLACE TEMP TABLE x AS SELECT $1::VARCHAR";',
    ],
    ["src/store/clickhouse/x.ts", 'import { Session } from "chdb";\nconst y = "toInt64OrNull(x)";'],
    ["src/segments/planted.test.ts", 'const z = "CREATE OR REPLACE TEMP TABLE x AS SELECT $1::VARCHAR";'],
    ["src/analytics/test-fixtures.ts", 'const z = "SELECT $1::VARCHAR";'],
  ]);

  it("names each violation's file and line, and what it is", () => {
    expect(engineSqlOutsideEngines(texts).map((v) => v.split(": ").slice(0, 2).join(": "))).toEqual([
      "src/segments/planted.ts:1: an engine's package",
      "src/segments/planted.ts:2: an engine's package",
      "src/segments/planted.ts:3: hand-numbered placeholder",
      "src/segments/planted.ts:4: CREATE OR REPLACE",
      "src/segments/planted.ts:5: temporary table or view",
      "src/segments/planted.ts:6: FILTER (WHERE …)",
      "src/segments/planted.ts:7: cast with ::",
      "src/segments/planted.ts:7: an engine's type name",
      "src/segments/planted.ts:8: an engine's type name",
      "src/segments/planted.ts:9: a ClickHouse type name",
      "src/segments/planted.ts:10: a DuckDB function",
      "src/segments/planted.ts:11: a DuckDB function",
      "src/segments/planted.ts:12: a DuckDB function",
      "src/segments/planted.ts:13: UPDATE … SET",
      "src/segments/planted.ts:14: ON CONFLICT",
      "src/segments/planted.ts:15: INSERT OR …",
      "src/segments/planted.ts:16: QUALIFY",
      "src/segments/planted.ts:17: an engine's type name",
      "src/segments/planted.ts:17: -infinity",
      "src/segments/planted.ts:18: a DuckDB function",
      "src/segments/planted.ts:19: a DuckDB function",
      "src/segments/planted.ts:21: a ClickHouse function",
    ]);
  });

  it("reads no comment, regular expression, code, prose or engine folder, and no test", () => {
    const clean = planted.split("\n").slice(21).join("\n");
    expect(engineSqlOutsideEngines(new Map([["src/segments/clean.ts", clean]]))).toEqual([]);
    const onlyOthers = new Map([...texts].filter(([f]) => f !== "src/segments/planted.ts"));
    expect(engineSqlOutsideEngines(onlyOthers)).toEqual([]);
  });

  it("shows the text around a violation", () => {
    expect(
      engineSqlOutsideEngines(new Map([["src/x/y.ts", 'const a = "SELECT a FROM t WHERE b = $1";']])),
    ).toEqual(['src/x/y.ts:1: hand-numbered placeholder: "SELECT a FROM t WHERE b = $1"']);
  });
});

describe("the source tree (docs/DESIGN.md, Layers)", () => {
  const { graph, texts } = loadTree("src");

  it("is read: every src/ file, and the imports between them, each resolved to a file", () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get("src/operations/operation.ts")?.some(under("store"))).toBe(true);
    const unresolved = [...graph].flatMap(([f, ts]) =>
      ts.filter((t) => !existsSync(join(ROOT, t))).map((t) => `${f} → ${t}`),
    );
    expect(unresolved, unresolved.join("\n")).toEqual([]);
  });

  it("has no import cycles between files", () => {
    const cycles = findCycles(graph);
    expect(cycles, `import cycles:\n${cycleText(cycles)}`).toEqual([]);
  });

  it("has a command line that does not reach the store and holds no SQL", () => {
    const violations = [
      ...layerViolations(graph, LAYER_RULES.slice(0, 1)),
      ...sqlInCommandLine(texts).map((s) => `SQL in the command line: ${s}`),
    ];
    expect(violations, violations.join("\n")).toEqual([]);
  });

  it("imports nothing upward: store ← domain ← operations ← front doors", () => {
    const violations = layerViolations(graph, LAYER_RULES.slice(1));
    expect(violations, violations.join("\n")).toEqual([]);
  });

  it("holds no engine-specific SQL outside src/store/duckdb/ and src/store/clickhouse/", () => {
    const violations = engineSqlOutsideEngines(texts);
    expect(violations, `engine-specific SQL outside the engines' folders:\n${violations.join("\n")}`).toEqual(
      [],
    );
  });
});
