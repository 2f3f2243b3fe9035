import { LIMITS } from "../limits.js";
import { TextError, type Token } from "./lexer.js";
import { type Span, type SpanRecorder, spanBetween, tokenSpan } from "./spans.js";

/**
 * Reading a condition's tokens: where the parser is, how deep its groups go, the spans of what it built, and the
 * errors that name the token expected. The grammar (parse.ts) is built on it.
 */
export class TokenCursor {
  private i = 0;
  /** Groups open where the parser is (parentheses, not, all(…), any(…)): capped before the stack is. */
  private depth = 0;
  constructor(
    private readonly tokens: readonly Token[],
    /** Where each object built came from (parseSegmentTextLocated). */
    protected readonly spans: SpanRecorder,
  ) {}

  /**
   * Parses a nested group with `f`, refusing it at its token when it is more than `LIMITS.depth` groups deep: no
   * definition that deep is valid, and 50,000 parentheses would overflow the stack of this recursive parser.
   */
  protected nested<T>(f: () => T): T {
    const t = this.peek();
    if (++this.depth > LIMITS.depth)
      throw new TextError(`nested deeper than ${LIMITS.depth} levels`, t.line, t.column, t.text.length);
    const r = f();
    this.depth--;
    return r;
  }

  protected peek(k = 0): Token {
    return this.tokens[Math.min(this.i + k, this.tokens.length - 1)] as Token;
  }
  protected next(): Token {
    const t = this.peek();
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }
  /** The last token read. */
  protected last(): Token {
    return this.tokens[Math.max(0, this.i - 1)] as Token;
  }
  /** The span from `first` to the last token read. */
  protected since(first: Token): Span {
    return spanBetween(first, this.last());
  }
  /** Records where `node` came from: from `first` to the last token read, with its keys' spans. */
  protected mark<T extends object>(node: T, first: Token, keys: Record<string, Span> = {}): T {
    return this.spans.mark(node, this.since(first), keys);
  }
  protected fail(expected: string, t = this.peek()): never {
    throw new TextError(
      `expected ${expected}, found ${t.kind === "end" ? "the end" : JSON.stringify(t.text)}`,
      t.line,
      t.column,
      t.kind === "end" ? 1 : t.text.length,
    );
  }
  protected isWord(w: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === "ident" && t.text === w;
  }
  protected isPunct(p: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === "punct" && t.text === p;
  }
  protected word(w: string): void {
    if (!this.isWord(w)) this.fail(`"${w}"`);
    this.next();
  }
  protected punct(p: string): void {
    if (!this.isPunct(p)) this.fail(`"${p}"`);
    this.next();
  }
  /** A string token's value, with its span in `keys` under `key`. */
  protected string(what: string, keys?: Record<string, Span>, key?: string): string {
    const t = this.peek();
    if (t.kind !== "string") this.fail(`${what} in double quotes`);
    this.next();
    if (keys && key) keys[key] = tokenSpan(t);
    return t.value as string;
  }
  expectEnd(): void {
    if (this.peek().kind !== "end") this.fail('"and", "or" or the end');
  }
}
