import {
  AssignTag,
  type Context,
  Drop,
  Liquid,
  LiquidError,
  type Template,
  UndefinedVariableError,
  type Value,
  type Variable,
} from "liquidjs";
import { didYouMean } from "../common/did-you-mean.js";
import { UserError } from "../errors.js";

/**
 * Message templates (issue 18, item 3): Liquid (liquidjs), compiled once per campaign and rendered once per person
 * over what is known of them. The engine is set up for text written by users and values written by customers:
 *
 * - limits on the template's length (parse), each message's rendering time and the memory it may allocate;
 * - no file access (`include`, `render`, `layout` are not tags here) and no property a value does not own;
 * - an unknown filter is an error when the template is compiled; a variable no customer can have (a typo) too;
 * - a variable missing for a person (no value, or blank text) is an error for that person, never a blank in the
 *   message — unless the template says what to do without it: a `default` filter (`{{ first_name | default:
 *   "there" }}`), or a condition (`{% if first_name %}…{% endif %}`, `case`, `unless`).
 *
 * What a template may read (its scope):
 * - the customer's traits by name (`{{ first_name }}`, `{{ country }}`, `{{ customer_id }}`): the columns of
 *   `customers`; dates as `YYYY-MM-DD`, times as ISO 8601 (the `date` filter formats them, in UTC);
 * - `computed.<name>`: the per-customer values models produce (`computed.rfm_segment`, `computed.clv`,
 *   `computed.cluster.mall`), as the segment language's `computed(...)` reads them;
 * - `offer.<key>`: the campaign's offer (`offer.name` and the keys it was given);
 * - `recommendations`: a list of product recommendations — empty until issue 19 fills it;
 * - `campaign.id`, `campaign.channel`.
 */

/** Names of the scope that are not traits; a trait of one of these names is read as `traits.<name>`. */
export const NAMESPACES = ["computed", "offer", "recommendations", "campaign", "traits"] as const;

const isNamespace = (name: string) => (NAMESPACES as readonly string[]).includes(name);

/** The longest template: 256 KiB of text (an HTML email is rarely a tenth of it). */
export const MAX_TEMPLATE_CHARS = 256 * 1024;
/** How long one message may take to render (ms): thousands of times what a plain one takes. */
const RENDER_LIMIT_MS = 250;
/** How much one message may allocate (liquidjs counts characters and array items it creates). */
const MEMORY_LIMIT = 10_000_000;
/** How many tags and outputs one message may render (loops included). */
const TEMPLATE_LIMIT = 100_000;

/**
 * `assign` without liquidjs's leniency: with `lenientIf` (which makes `if` and `default` accept a missing
 * variable), liquidjs also lets `{% assign x = first_name %}` take a missing value silently, and `{{ x }}` then
 * renders blank. Here an assign is lenient only when its first filter is `default`, as an output is.
 */
class StrictAssignTag extends AssignTag {
  override *render(ctx: Context): Generator<unknown, void, unknown> {
    // liquidjs declares these private; they are the tag's parsed name and value.
    const self = this as unknown as { key: string; value: Value };
    (ctx.bottom() as Record<string, unknown>)[self.key] = yield self.value.value(ctx, false);
  }
}

function liquidEngine(): Liquid {
  const liquid = new Liquid({
    strictFilters: true,
    strictVariables: true,
    lenientIf: true,
    ownPropertyOnly: true,
    parseLimit: MAX_TEMPLATE_CHARS,
    renderLimit: RENDER_LIMIT_MS,
    memoryLimit: MEMORY_LIMIT,
    // No file system: a message is one text. Any lookup finds nothing in an empty mapping.
    templates: {},
    relativeReference: false,
    timezoneOffset: 0,
    locale: "en-US",
  });
  for (const tag of ["include", "render", "layout", "block"]) delete liquid.tags[tag];
  liquid.registerTag("assign", StrictAssignTag);
  return liquid;
}

const LIQUID = liquidEngine();

/** A variable a template reads from its scope (not one it assigns), where it first does. */
export interface VariableUse {
  /** Its path: `["computed", "clv"]`; a non-literal index is `null` (`recommendations[i]`). */
  readonly path: readonly (string | number | null)[];
  readonly line: number;
  readonly column: number;
}

/** A compiled template: parsed once, rendered for every person. */
export interface MessageTemplate {
  readonly text: string;
  /** Where it came from, for errors: a file's name, `subject`. */
  readonly source: string;
  readonly parsed: Template[];
  readonly uses: readonly VariableUse[];
}

/** A liquidjs error's message without the position liquidjs appends (we write our own). */
function reasonOf(e: LiquidError): string {
  const first = (e.message.split("\n")[0] ?? e.message).replace(/, line:\d+, col:\d+$/, "");
  return first.replace(/^tag (.+) not found$/, (_, tag: string) => `unknown tag ${tag}`);
}

/** Line and column of a liquidjs error (1-based), from the token it carries. */
function positionOf(e: LiquidError): { line: number; column: number } | null {
  const token = (e as unknown as { token?: { getPosition?: () => [number, number] } }).token;
  const p = token?.getPosition?.();
  return p ? { line: p[0], column: p[1] } : null;
}

const at = (p: { line: number; column: number }) => `line ${p.line}, column ${p.column}`;

/** Throws the template's error with its place: `winback.liquid: line 3, column 5: undefined filter: upcasse`. */
function templateError(source: string, reason: string, p: { line: number; column: number } | null): never {
  throw new UserError("bad-template", p ? `${at(p)}: ${reason}` : reason, source);
}

function pathOf(v: Variable): (string | number | null)[] {
  return v.segments.map((s) => (typeof s === "string" || typeof s === "number" ? s : null));
}

/**
 * Compiles a template: a syntax error, an unknown filter or tag, or a template over the length limit is refused,
 * naming the line and column. `source` names it in errors (a file name, `subject`).
 */
export function compileTemplate(text: string, source: string): MessageTemplate {
  if (text.length > MAX_TEMPLATE_CHARS)
    templateError(
      source,
      `a template is at most ${MAX_TEMPLATE_CHARS.toLocaleString("en-US")} characters`,
      null,
    );
  let parsed: Template[];
  try {
    parsed = LIQUID.parse(text);
  } catch (e) {
    if (e instanceof LiquidError) templateError(source, reasonOf(e), positionOf(e));
    throw e;
  }
  const globals = LIQUID.analyzeSync(parsed, { partials: false }).globals;
  const uses = Object.values(globals)
    .flat()
    .map((v) => ({ path: pathOf(v), line: v.location.row, column: v.location.col }))
    .sort((a, b) => a.line - b.line || a.column - b.column);
  return { text, source, parsed, uses };
}

/** What a campaign's templates may name: the traits, the computed values, the offer's keys. */
export interface TemplateVocabulary {
  readonly traits: ReadonlySet<string>;
  readonly computed: ReadonlySet<string>;
  /** The offer's keys (`name` among them); null when the campaign has no offer. */
  readonly offer: readonly string[] | null;
}

/** Keys of `campaign` in the scope. */
const CAMPAIGN_KEYS = ["id", "channel"];

/**
 * Checks that every variable a template reads can exist: a trait, a computed value, a key of the campaign's
 * offer. A typo is refused where it is written, with the nearest name; so is an offer key the offer lacks, or an
 * offer in a campaign without one.
 */
export function checkVariables(t: MessageTemplate, vocabulary: TemplateVocabulary): void {
  for (const use of t.uses) {
    const [root, ...rest] = use.path;
    const next = rest[0];
    const fail = (reason: string) => templateError(t.source, reason, use);
    if (typeof root !== "string") continue;
    if (root === "computed") {
      if (typeof next !== "string") continue;
      // A qualified name (`cluster.mall`) is read as `computed.cluster.mall`.
      const name = rest.filter((s) => typeof s === "string").join(".");
      const known = [...vocabulary.computed];
      if (!known.some((c) => name === c || name.startsWith(`${c}.`) || c.startsWith(`${name}.`)))
        fail(
          `no computed value "${name}"${didYouMean(name, known)}${known.length ? "" : " (none yet: run `tessera segment refresh`, `tessera rfm`, `tessera clv fit`…)"}`,
        );
    } else if (root === "offer") {
      if (vocabulary.offer === null) fail("the template reads offer, but the campaign has no --offer");
      if (typeof next === "string" && !vocabulary.offer?.includes(next))
        fail(
          `the offer has no "${next}"${didYouMean(next, vocabulary.offer ?? [])} (it has ${vocabulary.offer?.join(", ")})`,
        );
    } else if (root === "campaign") {
      if (typeof next === "string" && !CAMPAIGN_KEYS.includes(next))
        fail(`campaign has ${CAMPAIGN_KEYS.join(" and ")}, not "${next}"`);
    } else if (root === "traits") {
      if (typeof next === "string" && !vocabulary.traits.has(next))
        fail(`no trait "${next}"${didYouMean(next, vocabulary.traits)}`);
    } else if (!isNamespace(root) && !vocabulary.traits.has(root)) {
      fail(
        `unknown variable "${root}"${didYouMean(root, [...vocabulary.traits, ...NAMESPACES])}: a template reads traits, computed.<value>, offer.<key>, recommendations, campaign.id/channel`,
      );
    }
  }
}

/** The traits and computed values a template reads, each once: what to fetch for it. */
export function fieldsRead(
  templates: readonly MessageTemplate[],
  vocabulary: Pick<TemplateVocabulary, "traits" | "computed">,
): { traits: string[]; computed: string[] } {
  const traits = new Set<string>();
  const computed = new Set<string>();
  for (const t of templates)
    for (const { path } of t.uses) {
      const [root, next] = path;
      if (root === "computed") {
        if (typeof next !== "string") {
          // The whole namespace (`{% for v in computed %}`, `computed[name]`): every value.
          for (const c of vocabulary.computed) computed.add(c);
          continue;
        }
        const name = path
          .slice(1)
          .filter((s) => typeof s === "string")
          .join(".");
        for (const c of vocabulary.computed)
          if (name === c || name.startsWith(`${c}.`) || c.startsWith(`${name}.`)) computed.add(c);
      } else if (root === "traits") {
        if (typeof next === "string") traits.add(next);
        else for (const x of vocabulary.traits) traits.add(x);
      } else if (typeof root === "string" && !isNamespace(root) && vocabulary.traits.has(root))
        traits.add(root);
    }
  return { traits: [...traits].sort(), computed: [...computed].sort() };
}

/** A product recommendation (issue 19 fills `recommendations` with these; empty until then). */
export interface Recommendation {
  readonly [key: string]: string | number | boolean | null;
}

/** What one person's message is rendered over (values missing for them are absent). */
export interface MessageScope {
  readonly [trait: string]: unknown;
  readonly computed: Record<string, unknown>;
  readonly offer?: Readonly<Record<string, string>>;
  readonly recommendations: readonly Recommendation[];
  readonly campaign: { readonly id: string; readonly channel: string };
  readonly traits: Record<string, unknown>;
}

/** A message, or why it could not be rendered for this person. */
export type Rendered =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly missing: readonly string[]; readonly error?: undefined }
  | { readonly ok: false; readonly missing?: undefined; readonly error: string };

/**
 * Stands in for a missing value while looking for every variable a person lacks (not only the first): it has
 * every property, and renders as nothing. Never in a message that is sent.
 */
class Placeholder extends Drop {
  override liquidMethodMissing(): Placeholder {
    return this;
  }
  override valueOf(): string {
    return "";
  }
  override toString(): string {
    return "";
  }
}

/** A copy of `scope` with a placeholder at a dotted path (`computed.clv`, `recommendations.0`). */
function withPlaceholder(scope: Record<string, unknown>, path: string): Record<string, unknown> {
  const keys = path.split(".");
  const top: Record<string, unknown> = { ...scope };
  let node: Record<string, unknown> = top;
  for (const [i, key] of keys.entries()) {
    if (i === keys.length - 1) {
      node[key] = new Placeholder();
      break;
    }
    // Copied on the way down: the scope given is the person's, and the next person's render must not see this.
    const child = node[key];
    const copy = (
      Array.isArray(child) ? [...child] : typeof child === "object" && child !== null ? { ...child } : {}
    ) as Record<string, unknown>;
    node[key] = copy;
    node = copy;
  }
  return top;
}

const UNDEFINED = /^undefined variable: (.+?)(?:, line:\d+, col:\d+)?$/;

/**
 * Renders one person's message. A variable missing for them (and not guarded by `default` or a condition) makes
 * no message: the answer lists every such variable. Over a limit (time, memory), the reason with its place.
 */
export function renderMessage(t: MessageTemplate, scope: MessageScope): Rendered {
  try {
    return {
      ok: true,
      text: LIQUID.renderSync(t.parsed, scope, { templateLimit: TEMPLATE_LIMIT }) as string,
    };
  } catch (e) {
    if (!(e instanceof LiquidError)) throw e;
    if (!(e instanceof UndefinedVariableError)) {
      const p = positionOf(e);
      return { ok: false, error: p ? `${at(p)}: ${reasonOf(e)}` : reasonOf(e) };
    }
  }
  // Missing variables: render again with a placeholder for each one found, until none is left.
  const missing: string[] = [];
  let s = scope as Record<string, unknown>;
  for (let tries = 0; tries <= t.uses.length + 1; tries++) {
    try {
      LIQUID.renderSync(t.parsed, s, { templateLimit: TEMPLATE_LIMIT });
      break;
    } catch (e) {
      if (!(e instanceof UndefinedVariableError)) break;
      const name = UNDEFINED.exec((e.message.split("\n")[0] ?? "").trim())?.[1];
      if (!name || missing.includes(name)) break;
      missing.push(name);
      s = withPlaceholder(s, name);
    }
  }
  return { ok: false, missing };
}
