import type { Comparison, Condition, PropertyCondition, Scalar, Window } from "../definition.js";
import { ORDER_AGGREGATES } from "../definition.js";
import { textLengthProblem } from "../limits.js";
import { TextError, type Token, tokenize } from "./lexer.js";
import { textError } from "./segment-text-error.js";
import { type Span, SpanRecorder, spanBetween, tokenSpan } from "./spans.js";
import { TokenCursor } from "./token-cursor.js";

/** Parses the text form of a condition (see print.ts); errors say the line and column. */
export function parseCondition(text: string, startLine = 1): Condition {
  return conditionOf(text, startLine, new SpanRecorder());
}

/**
 * Parses a condition starting at line `startLine`, recording where each object built came from in `spans`
 * (segment-document.ts parses a `where:` body with it).
 */
export function conditionOf(text: string, startLine: number, spans: SpanRecorder): Condition {
  const tooLong = textLengthProblem(text);
  if (tooLong !== undefined) throw textError(tooLong, startLine, 1);
  try {
    const p = new Parser(tokenize(text, startLine), spans);
    const c = p.or();
    p.expectEnd();
    return c;
  } catch (e) {
    if (e instanceof TextError)
      throw textError(e.message.replace(/^line \d+, column \d+: /, ""), e.line, e.column, e.width);
    throw e;
  }
}

const CMP_OPS: Record<string, keyof Comparison> = {
  "=": "eq",
  "!=": "neq",
  ">": "gt",
  ">=": "gte",
  "<": "lt",
  "<=": "lte",
};

class Parser extends TokenCursor {
  or(): Condition {
    const first = this.peek();
    const items = [this.and()];
    while (this.isWord("or")) {
      this.next();
      items.push(this.and());
    }
    return items.length === 1 ? (items[0] as Condition) : this.mark({ any: items }, first);
  }
  private and(): Condition {
    const first = this.peek();
    const items = [this.unary()];
    while (this.isWord("and")) {
      this.next();
      items.push(this.unary());
    }
    return items.length === 1 ? (items[0] as Condition) : this.mark({ all: items }, first);
  }
  private unary(): Condition {
    const first = this.peek();
    if (this.isWord("not"))
      return this.nested(() => {
        this.next();
        const not = this.unary();
        return this.mark({ not }, first);
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
        return this.mark(key === "all" ? { all: [c] } : { any: [c] }, first);
      });
    return this.leaf();
  }

  /** A leaf `base` (begun at `first`, its keys' spans in `keys`) followed by its comparison. */
  private compared(base: Record<string, unknown>, first: Token, keys: Record<string, Span>): Condition {
    const c = this.comparison();
    return this.mark({ ...base, ...c }, first, { ...keys, ...this.spans.keysOf(c) }) as Condition;
  }

  private leaf(): Condition {
    const t = this.peek();
    if (t.kind !== "ident")
      this.fail(
        "a condition (a trait, orders.…, account.…, count(…), has(…), segment(…), consent(…), computed(…))",
      );
    const call = this.isPunct("(", 1);
    const keys: Record<string, Span> = {};
    if (t.text === "segment" && call) {
      this.next();
      this.punct("(");
      const id = this.string("a segment id", keys, "segment");
      this.punct(")");
      return this.mark({ segment: id }, t, keys);
    }
    if (t.text === "consent" && call) {
      this.next();
      this.punct("(");
      const purpose = this.string("a purpose", keys, "consent");
      let channel: string | undefined;
      if (this.isPunct(",")) {
        this.next();
        channel = this.string("a channel", keys, "channel");
      }
      this.punct(")");
      return this.mark(channel === undefined ? { consent: purpose } : { consent: purpose, channel }, t, keys);
    }
    if ((t.text === "computed" || t.text === "trait") && call) {
      this.next();
      this.punct("(");
      const n = this.string(`a ${t.text} name`, keys, t.text);
      this.punct(")");
      return this.compared(t.text === "computed" ? { computed: n } : { trait: n }, t, keys);
    }
    if (t.text === "orders" && this.isPunct(".", 1)) return this.orders();
    if (t.text === "account" && (this.isPunct(".", 1) || call)) return this.account();
    if ((t.text === "count" || t.text === "has") && call) return this.event();
    this.next();
    return this.compared({ trait: t.text }, t, { trait: tokenSpan(t) });
  }

  private orders(): Condition {
    const first = this.peek();
    this.word("orders");
    this.punct(".");
    const agg = this.peek();
    if (agg.kind !== "ident" || !(ORDER_AGGREGATES as readonly string[]).includes(agg.text)) {
      this.fail(`an aggregate after "orders." (${ORDER_AGGREGATES.join(", ")})`);
    }
    this.next();
    const leaf: Record<string, unknown> = { orders: agg.text };
    const keys: Record<string, Span> = { orders: tokenSpan(agg) };
    this.punct("(");
    while (!this.isPunct(")")) {
      const arg = this.peek();
      if (this.isWord("total") || this.isWord("quantity")) {
        leaf.of = this.next().text;
        keys.of = tokenSpan(arg);
      } else if (this.isWord("category") && this.isPunct("(", 1)) {
        this.next();
        this.punct("(");
        const cats = [this.string("a category", keys, "category[0]")];
        let trailing = false;
        while (this.isPunct(",")) {
          this.next();
          if (this.isPunct(")")) {
            trailing = true;
            break;
          }
          cats.push(this.string("a category", keys, `category[${cats.length}]`));
        }
        this.punct(")");
        leaf.category = cats.length === 1 && !trailing ? cats[0] : cats;
        keys.category = this.since(arg);
      } else {
        leaf.within = this.window();
        keys.within = this.since(arg);
      }
      if (!this.isPunct(")")) this.punct(",");
    }
    this.punct(")");
    return this.compared(leaf, first, keys);
  }

  /** `account.industry = "Software"`, or `account("Annual Revenue") > 5` for a name that is not an identifier. */
  private account(): Condition {
    const first = this.peek();
    this.word("account");
    const keys: Record<string, Span> = {};
    let name: string;
    if (this.isPunct("(")) {
      this.next();
      name = this.string("an account trait name", keys, "account");
      this.punct(")");
    } else {
      this.punct(".");
      const t = this.peek();
      if (t.kind !== "ident") this.fail('an account trait after "account." (or account("name"))');
      name = this.next().text;
      keys.account = tokenSpan(t);
    }
    return this.compared({ account: name }, first, keys);
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
      const to = this.peek();
      const w = { from: t.value as string, to: this.string("an end date") };
      return this.mark(w, t, { from: tokenSpan(t), to: tokenSpan(to) });
    }
    return this.fail('a window (30d, 2w, 6m, 1y or "2024-01-01".."2024-03-31") or another argument');
  }

  private event(): Condition {
    const first = this.peek();
    const kind = this.next().text;
    this.punct("(");
    this.word("event");
    const keys: Record<string, Span> = {};
    const leaf: Record<string, unknown> = { event: this.string("an event name", keys, "event") };
    const props: PropertyCondition[] = [];
    let propsFirst: Token | undefined;
    while (this.isPunct(",")) {
      this.next();
      const arg = this.peek();
      if (this.isWord("type")) {
        this.next();
        const t = this.peek();
        if (t.kind !== "ident") this.fail("an event type (track, page, screen, identify, group, alias)");
        leaf.type = this.next().text;
        keys.type = tokenSpan(t);
      } else if (this.isWord("hour") || this.isWord("weekday")) {
        const key = this.next().text;
        leaf[key] = this.comparison();
        keys[key] = this.since(arg);
      } else if (
        this.peek().kind === "duration" ||
        (this.peek().kind === "string" && this.isPunct("..", 1))
      ) {
        leaf.within = this.window();
        keys.within = this.since(arg);
      } else {
        propsFirst ??= arg;
        props.push(this.propOr());
      }
    }
    this.punct(")");
    if (props.length)
      leaf.where =
        props.length === 1
          ? props[0]
          : this.spans.mark({ all: props }, spanBetween(propsFirst as Token, this.last()));
    if (kind === "count") {
      const op = this.peek();
      leaf.count = this.comparison();
      keys.count = this.since(op);
    }
    return this.mark(leaf, first, keys) as Condition;
  }

  private propOr(): PropertyCondition {
    const first = this.peek();
    const items = [this.propAnd()];
    while (this.isWord("or")) {
      this.next();
      items.push(this.propAnd());
    }
    return items.length === 1 ? (items[0] as PropertyCondition) : this.mark({ any: items }, first);
  }
  private propAnd(): PropertyCondition {
    const first = this.peek();
    const items = [this.propUnary()];
    while (this.isWord("and")) {
      this.next();
      items.push(this.propUnary());
    }
    return items.length === 1 ? (items[0] as PropertyCondition) : this.mark({ all: items }, first);
  }
  private propUnary(): PropertyCondition {
    const first = this.peek();
    if (this.isWord("not"))
      return this.nested(() => {
        this.next();
        const not = this.propUnary();
        return this.mark({ not }, first);
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
        return this.mark(key === "all" ? { all: [p] } : { any: [p] }, first);
      });
    const t = this.peek();
    if (t.kind !== "ident") this.fail("a property condition");
    const keys: Record<string, Span> = {};
    let property: string;
    if (t.text === "prop" && this.isPunct("(", 1)) {
      this.next();
      this.punct("(");
      property = this.string("a property name", keys, "property");
      this.punct(")");
    } else {
      this.next();
      property = t.text;
      keys.property = tokenSpan(t);
    }
    const c = this.comparison();
    return this.mark({ property, ...c }, t, { ...keys, ...this.spans.keysOf(c) }) as PropertyCondition;
  }

  /** A value, with its span as `key` of `keys`. */
  private value(keys: Record<string, Span>, key: string): Scalar {
    const t = this.peek();
    if (t.kind === "string" || t.kind === "number") {
      this.next();
      keys[key] = tokenSpan(t);
      return t.value;
    }
    if (this.isWord("true") || this.isWord("false")) {
      keys[key] = tokenSpan(t);
      return this.next().text === "true";
    }
    if (this.isWord("ago")) {
      this.next();
      this.punct("(");
      const d = this.peek();
      if (d.kind !== "duration") this.fail("a duration such as 30d");
      this.next();
      this.punct(")");
      keys[key] = this.since(t);
      return this.spans.mark({ ago: d.value as string }, this.since(t), { ago: tokenSpan(d) });
    }
    return this.fail('a value (a "string", a number, true, false or ago(30d))');
  }

  /** A list of values, each with its span as `key[i]` of `keys`, and the whole list's as `key`. */
  private list(keys: Record<string, Span>, key: string): Scalar[] {
    const first = this.peek();
    this.punct("(");
    if (this.isPunct(")")) this.fail("at least one value in the list");
    const items = [this.value(keys, `${key}[0]`)];
    while (this.isPunct(",")) {
      this.next();
      items.push(this.value(keys, `${key}[${items.length}]`));
    }
    this.punct(")");
    keys[key] = this.since(first);
    return items;
  }

  /** A comparison, recorded with the span of its values under its operator (`eq`, `in`, `in[0]` …). */
  private comparison(): Comparison {
    const t = this.peek();
    const keys: Record<string, Span> = {};
    const done = (c: Comparison): Comparison => this.mark(c, t, keys);
    if (t.kind === "punct" && CMP_OPS[t.text]) {
      this.next();
      const op = CMP_OPS[t.text] as string;
      return done({ [op]: this.value(keys, op) } as Comparison);
    }
    if (this.isWord("in")) {
      this.next();
      return done({ in: this.list(keys, "in") });
    }
    if (this.isWord("not") && this.isWord("in", 1)) {
      this.next();
      this.next();
      return done({ not_in: this.list(keys, "not_in") });
    }
    if (this.isWord("not") && this.isWord("exists", 1)) {
      this.next();
      this.next();
      keys.exists = this.since(t);
      return done({ exists: false });
    }
    if (this.isWord("exists")) {
      this.next();
      keys.exists = this.since(t);
      return done({ exists: true });
    }
    if (this.isWord("between")) {
      this.next();
      const lo = this.value(keys, "between[0]");
      this.word("and");
      const between: [Scalar, Scalar] = [lo, this.value(keys, "between[1]")];
      keys.between = this.since(t);
      return done({ between });
    }
    if (this.isWord("contains")) {
      this.next();
      return done({ contains: this.string("text", keys, "contains") });
    }
    if (this.isWord("starts") && this.isWord("with", 1)) {
      this.next();
      this.next();
      return done({ starts_with: this.string("text", keys, "starts_with") });
    }
    return this.fail(
      "a comparison (=, !=, >, >=, <, <=, in, not in, between, contains, starts with, exists)",
    );
  }
}
