/**
 * The layers of docs/DESIGN.md ("Layers"), checked on the source itself: every `.ts` file under src/ is read,
 * its imports (`import … from`, `export … from`, side-effect and dynamic imports; type-only ones count too)
 * resolved to files, and the resulting graph must have
 *   (a) no import cycles between files;
 *   (b) no file of the command line (src/cli/) reaching the store (operations open it for the CLI),
 *       and no SQL in the command line's string literals;
 *   (c) no upward imports: the store imports no domain module, no front door and no operation; domain modules
 *       import no front door and no operation; src/common/ imports no domain module and not the store.
 * The checking functions are tried on small made-up graphs first, so that a rule which could never fail is
 * caught too.
 *
 * Tests and test-only helpers (`*.test.ts`, `test-*.ts`) take part in (a) but not in (b) and (c): a test may set
 * up a store directly, or check in SQL what a command wrote.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");

// ---------------------------------------------------------------------------------------------------------------
// Reading TypeScript: a small lexer (comments, strings, template literals, regular expressions) is enough to tell
// import statements and string literals from everything else.

type Token =
  | { kind: "word"; value: string }
  | { kind: "punct"; value: string }
  | { kind: "string"; value: string }
  /** A template literal's text, each `${…}` in it as "${}" (the expressions' own tokens come before it). */
  | { kind: "template"; value: string };

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
  // The text so far of the template literals being read (one per level of nesting).
  const templates: string[] = [];
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
    let text = templates.pop() ?? "";
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
        templates.push(`${text}\${}`);
        braces.push("template");
        return;
      } else {
        text += c;
        i++;
      }
    }
    tokens.push({ kind: "template", value: text });
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
      while (i < n && source[i] !== c && source[i] !== "\n") {
        if (source[i] === "\\") {
          text += source.slice(i, i + 2);
          i += 2;
        } else text += source[i++];
      }
      i++;
      tokens.push({ kind: "string", value: text });
    } else if (c === "`") {
      i++;
      templates.push("");
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
const DOMAIN = ["ingest", "quality", "segments", "analytics", "clustering", "privacy", "synth", "common"];

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
    forbidden: anyOf(domain, under("cli"), under("operations")),
  },
  {
    name: "domain modules import no front door or operation",
    applies: domain,
    forbidden: anyOf(under("cli"), under("operations")),
  },
  {
    name: "src/common imports no domain module and not the store",
    applies: under("common"),
    forbidden: anyOf(...DOMAIN.filter((d) => d !== "common").map(under), under("store")),
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
    ]);
    const [cli, store, dom, common] = LAYER_RULES.map((r) => r.name);
    expect(layerViolations(graph)).toEqual([
      `${dom}: src/analytics/rfm.ts → src/operations/x.ts`,
      `${cli}: src/cli/commands/rfm.ts → src/store/engine.ts`,
      `${cli}: src/cli/context.ts → src/store/open-store.ts`,
      `${common}: src/common/duration.ts → src/ingest/x.ts`,
      `${common}: src/common/duration.ts → src/store/engine.ts`,
      `${dom}: src/segments/compile.ts → src/cli/parse.ts`,
      `${store}: src/store/engine.ts → src/segments/compile.ts`,
      `${store}: src/store/engine.ts → src/cli/io.ts`,
      `${store}: src/store/engine.ts → src/operations/x.ts`,
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
});
