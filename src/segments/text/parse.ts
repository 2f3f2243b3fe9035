import type { Comparison, Condition, PropertyCondition, Scalar, Window } from "../definition.js";
import { ORDER_AGGREGATES } from "../definition.js";
import { LIMITS, textLengthProblem } from "../limits.js";
import { SegmentError } from "../validate.js";
import { TextError, type Token, tokenize } from "./lexer.js";

/** Parses the text form of a condition (see print.ts); errors say the line and column. */
export function parseCondition(text: string, startLine = 1): Condition {
  const tooLong = textLengthProblem(text);
  if (tooLong !== undefined)
    throw new SegmentError([{ path: `line ${startLine}, column 1`, message: tooLong }]);
  try {
    const p = new Parser(tokenize(text, startLine));
    const c = p.or();
    p.expectEnd();
    return c;
  } catch (e) {
    if (e instanceof TextError)
      throw new SegmentError([
        {
          path: `line ${e.line}, column ${e.column}`,
          message: e.message.replace(/^line \d+, column \d+: /, ""),
        },
      ]);
    throw e;
  }
}

/**
 * Parses a segment in text: header lines `id: …`, `name: …`, `description: …`, then `where:` followed by the
 * condition (on the same line or the next ones).
 */
export function parseSegmentText(text: string): {
  id?: string;
  name?: string;
  description?: string;
  where: Condition;
} {
  const tooLong = textLengthProblem(text);
  if (tooLong !== undefined) throw new SegmentError([{ path: "line 1, column 1", message: tooLong }]);
  // Files written on Windows end their lines with \r\n: a line is what lies between the breaks either way.
  const lines = text.split(/\r?\n/);
  const header: Record<string, string> = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === "" || line.trim().startsWith("#")) continue;
    const m = /^\s*([a-z]+)\s*:(.*)$/.exec(line);
    if (!m)
      throw new SegmentError([
        {
          path: `line ${i + 1}, column 1`,
          message: "expected a header line (id:, name:, description:) or where:",
        },
      ]);
    const [, key, rest] = m as unknown as [string, string, string];
    if (key === "where") {
      // Pad the first line so that columns count from the start of the file's line.
      const body = [" ".repeat(line.length - rest.length) + rest, ...lines.slice(i + 1)].join("\n");
      return { ...header, where: parseCondition(body, i + 1) };
    }
    if (!["id", "name", "description"].includes(key)) {
      throw new SegmentError([
        {
          path: `line ${i + 1}, column 1`,
          message: `unknown header "${key}" (expected id, name, description or where)`,
        },
      ]);
    }
    header[key] = rest.trim();
  }
  throw new SegmentError([{ path: `line ${lines.length}, column 1`, message: "no where: line" }]);
}

const CMP_OPS: Record<string, keyof Comparison> = {
  "=": "eq",
  "!=": "neq",
  ">": "gt",
  ">=": "gte",
  "<": "lt",
  "<=": "lte",
};

class Parser {
  private i = 0;
  /** Groups open where the parser is (parentheses, not, all(…), any(…)): capped before the stack is. */
  private depth = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  /**
   * Parses a nested group with `f`, refusing it at its token when it is more than `LIMITS.depth` groups deep: no
   * definition that deep is valid, and 50,000 parentheses would overflow the stack of this recursive parser.
   */
  private nested<T>(f: () => T): T {
    const t = this.peek();
    if (++this.depth > LIMITS.depth)
      throw new TextError(`nested deeper than ${LIMITS.depth} levels`, t.line, t.column);
    const r = f();
    this.depth--;
    return r;
  }

  private peek(k = 0): Token {
    return this.tokens[Math.min(this.i + k, this.tokens.length - 1)] as Token;
  }
  private next(): Token {
    const t = this.peek();
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }
  private fail(expected: string, t = this.peek()): never {
    throw new TextError(
      `expected ${expected}, found ${t.kind === "end" ? "the end" : JSON.stringify(t.text)}`,
      t.line,
      t.column,
    );
  }
  private isWord(w: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === "ident" && t.text === w;
  }
  private isPunct(p: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === "punct" && t.text === p;
  }
  private word(w: string): void {
    if (!this.isWord(w)) this.fail(`"${w}"`);
    this.next();
  }
  private punct(p: string): void {
    if (!this.isPunct(p)) this.fail(`"${p}"`);
    this.next();
  }
  private string(what: string): string {
    const t = this.peek();
    if (t.kind !== "string") this.fail(`${what} in double quotes`);
    this.next();
    return t.value as string;
  }
  expectEnd(): void {
    if (this.peek().kind !== "end") this.fail('"and", "or" or the end');
  }

  or(): Condition {
    const items = [this.and()];
    while (this.isWord("or")) {
      this.next();
      items.push(this.and());
    }
    return items.length === 1 ? (items[0] as Condition) : { any: items };
  }
  private and(): Condition {
    const items = [this.unary()];
    while (this.isWord("and")) {
      this.next();
      items.push(this.unary());
    }
    return items.length === 1 ? (items[0] as Condition) : { all: items };
  }
  private unary(): Condition {
    if (this.isWord("not"))
      return this.nested(() => {
        this.next();
        return { not: this.unary() };
      });
    if (this.isPunct("("))
      return this.nested(() => {
        this.next();
        const c = this.or();
        this.punct(")");
        return c;
      });
    if ((this.isWord("all") || this.isWord("any")) && this.isPunct("(", 1))
      return this.nested(() => {
        const key = this.next().text as "all" | "any";
        this.punct("(");
        const c = this.or();
        this.punct(")");
        return key === "all" ? { all: [c] } : { any: [c] };
      });
    return this.leaf();
  }

  private leaf(): Condition {
    const t = this.peek();
    if (t.kind !== "ident")
      this.fail(
        "a condition (a trait, orders.…, account.…, count(…), has(…), segment(…), consent(…), computed(…))",
      );
    const call = this.isPunct("(", 1);
    if (t.text === "segment" && call) {
      this.next();
      this.punct("(");
      const id = this.string("a segment id");
      this.punct(")");
      return { segment: id };
    }
    if (t.text === "consent" && call) {
      this.next();
      this.punct("(");
      const purpose = this.string("a purpose");
      let channel: string | undefined;
      if (this.isPunct(",")) {
        this.next();
        channel = this.string("a channel");
      }
      this.punct(")");
      return channel === undefined ? { consent: purpose } : { consent: purpose, channel };
    }
    if ((t.text === "computed" || t.text === "trait") && call) {
      this.next();
      this.punct("(");
      const n = this.string(`a ${t.text} name`);
      this.punct(")");
      return (
        t.text === "computed" ? { computed: n, ...this.comparison() } : { trait: n, ...this.comparison() }
      ) as Condition;
    }
    if (t.text === "orders" && this.isPunct(".", 1)) return this.orders();
    if (t.text === "account" && (this.isPunct(".", 1) || call)) return this.account();
    if ((t.text === "count" || t.text === "has") && call) return this.event();
    this.next();
    return { trait: t.text, ...this.comparison() } as Condition;
  }

  private orders(): Condition {
    this.word("orders");
    this.punct(".");
    const agg = this.peek();
    if (agg.kind !== "ident" || !(ORDER_AGGREGATES as readonly string[]).includes(agg.text)) {
      this.fail(`an aggregate after "orders." (${ORDER_AGGREGATES.join(", ")})`);
    }
    this.next();
    const leaf: Record<string, unknown> = { orders: agg.text };
    this.punct("(");
    while (!this.isPunct(")")) {
      if (this.isWord("total") || this.isWord("quantity")) leaf.of = this.next().text;
      else if (this.isWord("category") && this.isPunct("(", 1)) {
        this.next();
        this.punct("(");
        const cats = [this.string("a category")];
        let trailing = false;
        while (this.isPunct(",")) {
          this.next();
          if (this.isPunct(")")) {
            trailing = true;
            break;
          }
          cats.push(this.string("a category"));
        }
        this.punct(")");
        leaf.category = cats.length === 1 && !trailing ? cats[0] : cats;
      } else leaf.within = this.window();
      if (!this.isPunct(")")) this.punct(",");
    }
    this.punct(")");
    return { ...leaf, ...this.comparison() } as Condition;
  }

  /** `account.industry = "Software"`, or `account("Annual Revenue") > 5` for a name that is not an identifier. */
  private account(): Condition {
    this.word("account");
    let name: string;
    if (this.isPunct("(")) {
      this.next();
      name = this.string("an account trait name");
      this.punct(")");
    } else {
      this.punct(".");
      const t = this.peek();
      if (t.kind !== "ident") this.fail('an account trait after "account." (or account("name"))');
      name = this.next().text;
    }
    return { account: name, ...this.comparison() } as Condition;
  }

  private window(): Window {
    const t = this.peek();
    if (t.kind === "duration") {
      this.next();
      return t.value as string;
    }
    if (t.kind === "string" && this.isPunct("..", 1)) {
      this.next();
      this.next();
      return { from: t.value as string, to: this.string("an end date") };
    }
    return this.fail('a window (30d, 2w, 6m, 1y or "2024-01-01".."2024-03-31") or another argument');
  }

  private event(): Condition {
    const kind = this.next().text;
    this.punct("(");
    this.word("event");
    const leaf: Record<string, unknown> = { event: this.string("an event name") };
    const props: PropertyCondition[] = [];
    while (this.isPunct(",")) {
      this.next();
      if (this.isWord("type")) {
        this.next();
        const t = this.peek();
        if (t.kind !== "ident") this.fail("an event type (track, page, screen, identify, group, alias)");
        leaf.type = this.next().text;
      } else if (this.isWord("hour") || this.isWord("weekday")) {
        const key = this.next().text;
        leaf[key] = this.comparison();
      } else if (
        this.peek().kind === "duration" ||
        (this.peek().kind === "string" && this.isPunct("..", 1))
      ) {
        leaf.within = this.window();
      } else props.push(this.propOr());
    }
    this.punct(")");
    if (props.length) leaf.where = props.length === 1 ? props[0] : { all: props };
    if (kind === "count") leaf.count = this.comparison();
    return leaf as Condition;
  }

  private propOr(): PropertyCondition {
    const items = [this.propAnd()];
    while (this.isWord("or")) {
      this.next();
      items.push(this.propAnd());
    }
    return items.length === 1 ? (items[0] as PropertyCondition) : { any: items };
  }
  private propAnd(): PropertyCondition {
    const items = [this.propUnary()];
    while (this.isWord("and")) {
      this.next();
      items.push(this.propUnary());
    }
    return items.length === 1 ? (items[0] as PropertyCondition) : { all: items };
  }
  private propUnary(): PropertyCondition {
    if (this.isWord("not"))
      return this.nested(() => {
        this.next();
        return { not: this.propUnary() };
      });
    if (this.isPunct("("))
      return this.nested(() => {
        this.next();
        const p = this.propOr();
        this.punct(")");
        return p;
      });
    if ((this.isWord("all") || this.isWord("any")) && this.isPunct("(", 1))
      return this.nested(() => {
        const key = this.next().text;
        this.punct("(");
        const p = this.propOr();
        this.punct(")");
        return key === "all" ? { all: [p] } : { any: [p] };
      });
    const t = this.peek();
    if (t.kind !== "ident") this.fail("a property condition");
    if (t.text === "prop" && this.isPunct("(", 1)) {
      this.next();
      this.punct("(");
      const n = this.string("a property name");
      this.punct(")");
      return { property: n, ...this.comparison() } as PropertyCondition;
    }
    this.next();
    return { property: t.text, ...this.comparison() } as PropertyCondition;
  }

  private value(): Scalar {
    const t = this.peek();
    if (t.kind === "string" || t.kind === "number") {
      this.next();
      return t.value;
    }
    if (this.isWord("true") || this.isWord("false")) return this.next().text === "true";
    if (this.isWord("ago")) {
      this.next();
      this.punct("(");
      const d = this.peek();
      if (d.kind !== "duration") this.fail("a duration such as 30d");
      this.next();
      this.punct(")");
      return { ago: d.value as string };
    }
    return this.fail('a value (a "string", a number, true, false or ago(30d))');
  }

  private list(): Scalar[] {
    this.punct("(");
    if (this.isPunct(")")) this.fail("at least one value in the list");
    const items = [this.value()];
    while (this.isPunct(",")) {
      this.next();
      items.push(this.value());
    }
    this.punct(")");
    return items;
  }

  private comparison(): Comparison {
    const t = this.peek();
    if (t.kind === "punct" && CMP_OPS[t.text]) {
      this.next();
      return { [CMP_OPS[t.text] as string]: this.value() } as Comparison;
    }
    if (this.isWord("in")) {
      this.next();
      return { in: this.list() };
    }
    if (this.isWord("not") && this.isWord("in", 1)) {
      this.next();
      this.next();
      return { not_in: this.list() };
    }
    if (this.isWord("not") && this.isWord("exists", 1)) {
      this.next();
      this.next();
      return { exists: false };
    }
    if (this.isWord("exists")) {
      this.next();
      return { exists: true };
    }
    if (this.isWord("between")) {
      this.next();
      const lo = this.value();
      this.word("and");
      return { between: [lo, this.value()] };
    }
    if (this.isWord("contains")) {
      this.next();
      return { contains: this.string("text") };
    }
    if (this.isWord("starts") && this.isWord("with", 1)) {
      this.next();
      this.next();
      return { starts_with: this.string("text") };
    }
    return this.fail(
      "a comparison (=, !=, >, >=, <, <=, in, not in, between, contains, starts with, exists)",
    );
  }
}
