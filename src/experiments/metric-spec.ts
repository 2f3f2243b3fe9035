import { UserError } from "../errors.js";

/**
 * The metrics an experiment is read by (issue 20, item 2), as short texts a person types after `--metric`:
 *
 * ```
 * metric   := kind (":" option)* ["+cuped" ["=" duration]]
 * kind     := conversion | revenue | orders | events | click-through (ctr) | retention | ratio
 * option   := duration                      the window after exposure (retention: when the active window starts)
 *           | "event=" name                 conversion, events: a named event ("*": any event)
 *           | "campaign=" id                click-through: the campaign whose sends and clicks are counted
 *           | "for=" duration               retention: the active window's length (default 7d)
 *           | measure "/" measure           ratio: numerator / denominator
 * measure  := revenue | orders | "event=" name | "sends=" campaign | "clicks=" campaign
 * duration := <n>h | <n>d | <n>w
 * ```
 *
 * Names run to the next `:` (or `/` inside a ratio) and may hold spaces (`conversion:event=Signed Up:7d`); a name
 * holding `:`, `/` or `+` is written in double quotes (`event="Checkout: Done"`, `""` for a quote inside).
 *
 * - `conversion` — 1 if the person placed an order (or, with `event=`, did that event) within the window after
 *   exposure, else 0: a proportion.
 * - `revenue`, `orders` — the sum of order totals, the number of orders per person in the window: means.
 * - `events:event=NAME` — the number of NAME events per person in the window: a mean.
 * - `click-through:campaign=ID` — the campaign's clicks (events whose action is clicked or tapped, with the
 *   property `campaign` or `campaign_id` equal to ID) over its sends (rows of `campaign_sends` with status sent)
 *   in the window: a ratio of sums (delta method).
 * - `retention:Nd` — 1 if the person did anything (an event or an order) between N days and N days + `for` after
 *   exposure: a proportion.
 * - `ratio:revenue/orders` — Σ numerator / Σ denominator per arm (revenue per order): a ratio (delta method).
 *
 * Without a window a metric counts from exposure to the end of the experiment (or the analysis's as-of time).
 * `+cuped` adds the same metric over the window of the same length just before exposure as CUPED's covariate (its
 * length given by `+cuped=30d`, else the metric's window, else 30 days); retention's covariate is activity over
 * the `for` window before exposure.
 */

/** A per-person quantity summed over a window. */
export type Measure =
  | { readonly kind: "revenue" }
  | { readonly kind: "orders" }
  /** Events of one name; "*" any event. */
  | { readonly kind: "events"; readonly event: string }
  /** Anything: an event or an order (retention). */
  | { readonly kind: "activity" }
  | { readonly kind: "sends"; readonly campaign: string }
  | { readonly kind: "clicks"; readonly campaign: string };

export type MetricType =
  | "conversion"
  | "revenue"
  | "orders"
  | "events"
  | "click-through"
  | "retention"
  | "ratio";

/** A parsed metric. Times are milliseconds relative to a person's exposure. */
export interface MetricSpec {
  /** The text as given. */
  readonly text: string;
  /** The canonical text (what `parseMetrics` reads back the same way): the metric's name in results. */
  readonly name: string;
  readonly type: MetricType;
  /** How the statistics engine reads it. */
  readonly statistic: "proportion" | "mean" | "ratio";
  /** y per person: the numerator's sum over the window; for a proportion, 1 if it is above 0. */
  readonly numerator: Measure;
  /** A ratio's denominator (summed over the same window). */
  readonly denominator?: Measure;
  /** The window [start, start + length) after exposure; length null: to the end of the experiment. */
  readonly window: { readonly startMs: number; readonly lengthMs: number | null };
  /** CUPED: the same measures over [exposure − lengthMs, exposure). */
  readonly cuped: { readonly lengthMs: number } | null;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const UNITS: Record<string, number> = { h: HOUR, d: DAY, w: 7 * DAY };
/** The longest window accepted: ten years. */
const MAX_MS = 3650 * DAY;
const DEFAULT_CUPED_MS = 30 * DAY;
const DEFAULT_RETENTION_FOR_MS = 7 * DAY;

const KINDS: Record<string, MetricType> = {
  conversion: "conversion",
  revenue: "revenue",
  orders: "orders",
  events: "events",
  "click-through": "click-through",
  ctr: "click-through",
  retention: "retention",
  ratio: "ratio",
};

/**
 * Parses `--metric` texts (or an experiment's stored metric list); `where` names what they came from in errors
 * (`--metric`, `metrics[2]` is added per text). Duplicate metrics (the same canonical name) are an error.
 */
export function parseMetrics(texts: readonly string[], where: string): MetricSpec[] {
  const out: MetricSpec[] = [];
  const seen = new Map<string, number>();
  texts.forEach((text, i) => {
    const at = texts.length > 1 ? `${where}[${i}]` : where;
    const spec = parseMetric(text, at);
    const before = seen.get(spec.name);
    if (before !== undefined) {
      throw new UserError(
        "metric-duplicate",
        `metric "${text}" is the same metric as "${texts[before]}" (${spec.name})`,
        at,
      );
    }
    seen.set(spec.name, i);
    out.push(spec);
  });
  return out;
}

/** Parses one metric text (see the grammar above). */
export function parseMetric(text: string, where: string): MetricSpec {
  const fail = (reason: string): never => {
    throw new UserError("metric-invalid", `metric "${text}": ${reason}`, where);
  };
  if (typeof text !== "string" || text.trim() === "")
    fail("empty; expected e.g. conversion:7d, revenue+cuped");
  let body = text.trim();
  let cuped: { lengthMs: number } | null = null;
  let cupedGiven: number | null = null;
  const plus = lastUnquoted(body, "+");
  if (plus >= 0) {
    const flag = body.slice(plus + 1).trim();
    body = body.slice(0, plus).trim();
    const m = /^cuped(?:=(.+))?$/i.exec(flag);
    if (!m) fail(`"+${flag}" is not a flag; the only one is +cuped (or +cuped=30d)`);
    cuped = { lengthMs: 0 };
    if (m?.[1] !== undefined) cupedGiven = duration(m[1].trim(), fail, "+cuped=");
  }
  const parts = splitUnquoted(body, ":", fail);
  const kindText = (parts.shift() as string).trim().toLowerCase();
  const found = KINDS[kindText];
  if (!found) {
    fail(
      `unknown kind "${kindText}"; expected one of conversion, revenue, orders, events, click-through, retention, ratio`,
    );
  }
  const type = found as MetricType;
  let windowMs: number | null = null;
  let event: string | null = null;
  let campaign: string | null = null;
  let forMs: number | null = null;
  let ratio: [Measure, Measure] | null = null;
  const once = (name: string, taken: unknown) => {
    if (taken !== null) fail(`${name} given twice`);
  };
  for (const raw of parts) {
    const part = raw.trim();
    if (part === "") fail("an empty option (two colons in a row, or a colon at the end)");
    if (/^\d/.test(part) && !part.includes("=")) {
      once("the window", windowMs);
      windowMs = duration(part, fail, "the window");
      continue;
    }
    const eq = part.indexOf("=");
    const key = eq < 0 ? part.toLowerCase() : part.slice(0, eq).trim().toLowerCase();
    const value = eq < 0 ? "" : unquote(part.slice(eq + 1).trim(), fail);
    if (type === "ratio" && ratio === null && hasUnquoted(part, "/")) {
      const [a, b, ...rest] = splitUnquoted(part, "/", fail);
      if (rest.length > 0 || a === undefined || b === undefined)
        fail(`"${part}": a ratio is one numerator / one denominator`);
      ratio = [measure(a as string, fail), measure(b as string, fail)];
      continue;
    }
    if (eq < 0)
      fail(`"${part}" is neither a window (7d, 12h, 2w) nor an option (event=…, campaign=…, for=…)`);
    if (value === "") fail(`${key}= needs a value`);
    if (key === "event" && (type === "conversion" || type === "events")) {
      once("event=", event);
      event = value;
    } else if (key === "campaign" && type === "click-through") {
      once("campaign=", campaign);
      campaign = value;
    } else if (key === "for" && type === "retention") {
      once("for=", forMs);
      forMs = duration(value, fail, "for=");
    } else {
      fail(`${key}= is not an option of ${type}${optionHint(type)}`);
    }
  }

  let statistic: MetricSpec["statistic"];
  let numerator: Measure;
  let denominator: Measure | undefined;
  let startMs = 0;
  let lengthMs = windowMs;
  switch (type) {
    case "conversion":
      statistic = "proportion";
      numerator = event === null ? { kind: "orders" } : { kind: "events", event };
      break;
    case "revenue":
      statistic = "mean";
      numerator = { kind: "revenue" };
      break;
    case "orders":
      statistic = "mean";
      numerator = { kind: "orders" };
      break;
    case "events":
      if (event === null)
        fail('events needs event=NAME (e.g. events:event=Product Viewed:7d; "*" for any event)');
      statistic = "mean";
      numerator = { kind: "events", event: event as string };
      break;
    case "click-through":
      if (campaign === null)
        fail("click-through needs campaign=ID (e.g. click-through:campaign=spring-sale:3d)");
      statistic = "ratio";
      numerator = { kind: "clicks", campaign: campaign as string };
      denominator = { kind: "sends", campaign: campaign as string };
      break;
    case "retention":
      if (windowMs === null)
        fail("retention needs when the active window starts, e.g. retention:28d (active in days 28–35)");
      statistic = "proportion";
      numerator = { kind: "activity" };
      startMs = windowMs as number;
      lengthMs = forMs ?? DEFAULT_RETENTION_FOR_MS;
      break;
    default:
      if (ratio === null) fail("ratio needs numerator/denominator, e.g. ratio:revenue/orders:30d");
      statistic = "ratio";
      [numerator, denominator] = ratio as [Measure, Measure];
      if (measureName(numerator) === measureName(denominator))
        fail("a ratio of a measure to itself is always 1");
  }
  if (cuped !== null) {
    if (statistic === "ratio") {
      fail(
        "+cuped is not available for ratio metrics (click-through, ratio): their adjusted variance is not built",
      );
    }
    cuped = { lengthMs: cupedGiven ?? lengthMs ?? DEFAULT_CUPED_MS };
  }
  const spec = {
    text,
    type,
    statistic,
    numerator,
    ...(denominator ? { denominator } : {}),
    window: { startMs, lengthMs },
    cuped,
  };
  return { ...spec, name: canonicalName(spec) };
}

/** The canonical text of a metric: `parseMetric(canonicalName(m))` gives `m` back. */
export function canonicalName(m: Omit<MetricSpec, "name" | "text">): string {
  const parts: string[] = [m.type];
  const n = m.numerator;
  if (m.type === "conversion" && n.kind === "events") parts.push(`event=${quoteName(n.event)}`);
  if (m.type === "events" && n.kind === "events") parts.push(`event=${quoteName(n.event)}`);
  if (m.type === "click-through" && n.kind === "clicks") parts.push(`campaign=${quoteName(n.campaign)}`);
  if (m.type === "ratio" && m.denominator) parts.push(`${measureName(n)}/${measureName(m.denominator)}`);
  if (m.type === "retention") {
    parts.push(formatDuration(m.window.startMs));
    if (m.window.lengthMs !== DEFAULT_RETENTION_FOR_MS)
      parts.push(`for=${formatDuration(m.window.lengthMs ?? 0)}`);
  } else if (m.window.lengthMs !== null) {
    parts.push(formatDuration(m.window.lengthMs));
  }
  let name = parts.join(":");
  if (m.cuped) {
    const natural = m.type === "retention" ? m.window.lengthMs : (m.window.lengthMs ?? DEFAULT_CUPED_MS);
    name += m.cuped.lengthMs === natural ? "+cuped" : `+cuped=${formatDuration(m.cuped.lengthMs)}`;
  }
  return name;
}

/** A measure's text inside a ratio. */
export function measureName(m: Measure): string {
  switch (m.kind) {
    case "revenue":
    case "orders":
    case "activity":
      return m.kind;
    case "events":
      return `event=${quoteName(m.event)}`;
    case "sends":
      return `sends=${quoteName(m.campaign)}`;
    case "clicks":
      return `clicks=${quoteName(m.campaign)}`;
  }
}

/** The event names a list of metrics reads (events of those names are to be checked against the data). */
export function eventNames(metrics: readonly MetricSpec[]): string[] {
  const names = new Set<string>();
  for (const m of metrics) {
    for (const x of [m.numerator, m.denominator])
      if (x?.kind === "events" && x.event !== "*") names.add(x.event);
  }
  return [...names];
}

/** A duration in text: the largest unit that divides it. */
export function formatDuration(ms: number): string {
  if (ms % (7 * DAY) === 0 && ms > 0) return `${ms / (7 * DAY)}w`;
  if (ms % DAY === 0) return `${ms / DAY}d`;
  return `${ms / HOUR}h`;
}

function measure(text: string, fail: (reason: string) => never): Measure {
  const t = text.trim();
  const lower = t.toLowerCase();
  if (lower === "revenue" || lower === "orders") return { kind: lower };
  const eq = t.indexOf("=");
  if (eq > 0) {
    const key = t.slice(0, eq).trim().toLowerCase();
    const value = unquote(t.slice(eq + 1).trim(), fail);
    if (value !== "") {
      if (key === "event") return { kind: "events", event: value };
      if (key === "sends") return { kind: "sends", campaign: value };
      if (key === "clicks") return { kind: "clicks", campaign: value };
    }
  }
  return fail(
    `"${t}" is not a measure; expected revenue, orders, event=NAME, sends=CAMPAIGN or clicks=CAMPAIGN`,
  );
}

function duration(text: string, fail: (reason: string) => never, what: string): number {
  const m = /^(\d+)\s*([hdw])$/i.exec(text);
  if (!m) return fail(`${what} "${text}" is not a duration; expected e.g. 12h, 7d, 2w`);
  const ms = Number(m[1]) * (UNITS[(m[2] as string).toLowerCase()] as number);
  if (ms <= 0) return fail(`${what} "${text}" must be longer than 0`);
  if (ms > MAX_MS) return fail(`${what} "${text}" is longer than ten years`);
  return ms;
}

function optionHint(type: MetricType): string {
  switch (type) {
    case "conversion":
      return " (it takes event=NAME and a window)";
    case "events":
      return " (it takes event=NAME and a window)";
    case "click-through":
      return " (it takes campaign=ID and a window)";
    case "retention":
      return " (it takes a start, e.g. 28d, and for=7d)";
    case "ratio":
      return " (it takes numerator/denominator and a window)";
    default:
      return " (it takes a window only)";
  }
}

/** A name in metric text: quoted when it holds a separator or a quote, or has spaces at its ends. */
function quoteName(name: string): string {
  return /[:/+"]/.test(name) || name !== name.trim() ? `"${name.replaceAll('"', '""')}"` : name;
}

function unquote(text: string, fail: (reason: string) => never): string {
  if (!text.startsWith('"')) return text;
  if (text.length < 2 || !text.endsWith('"')) return fail(`${text}: a quoted name must end with "`);
  const inner = text.slice(1, -1);
  if (inner.replaceAll('""', "").includes('"')) return fail(`${text}: write a quote inside a name as ""`);
  return inner.replaceAll('""', '"');
}

/** Splits at `sep` outside double quotes. */
function splitUnquoted(text: string, sep: string, fail: (reason: string) => never): string[] {
  const parts: string[] = [];
  let cur = "";
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === sep && !quoted) {
      parts.push(cur);
      cur = "";
    } else {
      cur += ch;
    }
  }
  if (quoted) fail("a quote is not closed");
  parts.push(cur);
  return parts;
}

function hasUnquoted(text: string, sep: string): boolean {
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (ch === sep && !quoted) return true;
  }
  return false;
}

function lastUnquoted(text: string, sep: string): number {
  let quoted = false;
  let at = -1;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (text[i] === sep && !quoted) at = i;
  }
  return at;
}
