/**
 * Readable names for personas, built from what distinguishes a group: "High income, low spend, 35–50, mostly
 * mobile". Pure functions over the persona's figures, so they are easy to test and to translate later.
 */

/** What the name is built from. */
export interface NameInput {
  /** Numeric features with their standardised difference from the base (group mean − base mean) / base sd. */
  readonly differences: readonly {
    readonly feature: string;
    readonly difference: number;
    readonly mean: number | null;
  }[];
  /** The group's age quartiles, when an age trait exists. */
  readonly ageRange?: readonly [number, number] | null;
  /** Share of the group's activity on mobile. */
  readonly mobileShare?: number | null;
  /** The group's typical hour of activity (0–24). */
  readonly hour?: number | null;
  /** The category with the highest lift, if it stands out (lift ≥ 2 and at least 20% of the group's spend). */
  readonly category?: string | null;
}

/** Words for a trait or feature name: units and scale suffixes dropped ("annual_income_k" → "annual income"). */
export function humanize(feature: string): string {
  const special: Record<string, string> = {
    "orders.revenue": "spend",
    "orders.count": "order count",
    "orders.aov": "basket size",
    "orders.days_since_last": "days since last order",
    "orders.days_since_first": "customer age",
    "events.count": "activity",
    "events.mobile_share": "mobile use",
    "computed:clv": "lifetime value",
  };
  if (special[feature]) return special[feature] as string;
  const share = /^(events|orders)\.(device|channel|category)_share:(.+)$/.exec(feature);
  if (share) return `${share[3]} share`;
  const base = feature.replace(/^(trait|computed):/, "");
  const words = base.split(/[_\s.]+/).filter((w) => w !== "");
  // Trailing unit tokens: "k", "usd", numbers ("spending_score_1_100" → "spending score").
  while (words.length > 1 && /^([0-9]+|k|m|usd|eur|gbp|pct|percent|yrs|years)$/i.test(words.at(-1) as string))
    words.pop();
  return words.join(" ").toLowerCase();
}

/** The phrase for one distinguishing feature, by direction. */
function phrase(feature: string, difference: number): string {
  const high = difference > 0;
  switch (feature) {
    case "orders.count":
      return high ? "frequent buyers" : "rare buyers";
    case "orders.revenue":
      return high ? "high spend" : "low spend";
    case "orders.aov":
      return high ? "big baskets" : "small baskets";
    case "orders.days_since_last":
      return high ? "lapsed" : "recent buyers";
    case "events.count":
      return high ? "very active" : "rarely active";
  }
  return `${high ? "high" : "low"} ${humanize(feature)}`;
}

/** A part of the day, for a typical hour. */
export function daypart(hour: number): string {
  if (hour >= 5 && hour < 9) return "early birds";
  if (hour >= 9 && hour < 12) return "mornings";
  if (hour >= 12 && hour < 14) return "lunchtime";
  if (hour >= 14 && hour < 18) return "afternoons";
  if (hour >= 18 && hour < 22) return "evenings";
  return "night owls";
}

const isAge = (f: string) => /^(trait|computed):age$/.test(f) || f === "age";
const isHidden = (f: string) =>
  isAge(f) ||
  f.startsWith("events.favourite_hour") ||
  f.includes("_share:") ||
  f === "events.mobile_share" ||
  f.endsWith(":missing");

/**
 * The name: up to two level phrases (the strongest standardised differences, |d| ≥ 0.5), the age range, the
 * device when clearly mobile or desktop, the part of the day when the hour is known and other phrases are few,
 * and a standout category. "Typical customers" when nothing stands out.
 */
export function personaName(input: NameInput): string {
  const parts: string[] = [];
  const strong = input.differences
    .filter((d) => !isHidden(d.feature) && Math.abs(d.difference) >= 0.5)
    .sort((a, b) => Math.abs(b.difference) - Math.abs(a.difference))
    .slice(0, 2);
  for (const d of strong) parts.push(phrase(d.feature, d.difference));
  if (input.ageRange) {
    const [lo, hi] = input.ageRange;
    const a = Math.floor(lo / 5) * 5;
    const b = Math.max(a + 5, Math.ceil(hi / 5) * 5);
    parts.push(`${a}–${b}`);
  }
  if (input.mobileShare !== undefined && input.mobileShare !== null) {
    if (input.mobileShare >= 0.6) parts.push("mostly mobile");
    else if (input.mobileShare <= 0.2) parts.push("mostly desktop");
  }
  if (input.category) parts.push(`into ${input.category}`);
  if (input.hour !== undefined && input.hour !== null && parts.length < 5) parts.push(daypart(input.hour));
  if (parts.length === 0) return "Typical customers";
  const text = parts.join(", ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}
