import type { Comparison, OrderAggregate, PropertyCondition } from "./definition.js";
import type { ResolvedWindow } from "./window.js";

/**
 * A per-customer aggregate over raw rows that some leaf needs. Features are deduplicated by their canonical key,
 * so leaves shared by several segments are computed once (DESIGN.md principle 2: one scan, many segments).
 */
export type Feature =
  | {
      readonly kind: "event";
      readonly event: string;
      readonly type?: string;
      readonly window?: ResolvedWindow;
      readonly hour?: Comparison;
      readonly weekday?: Comparison;
      readonly where?: PropertyCondition;
    }
  | {
      readonly kind: "orders";
      readonly agg: OrderAggregate;
      readonly of: "total" | "quantity";
      readonly window?: ResolvedWindow;
      readonly categories?: readonly string[];
    }
  | { readonly kind: "consent"; readonly purpose: string; readonly channel?: string };

/** Canonical JSON (sorted keys) so equal features get equal keys. */
export function featureKey(f: Feature): string {
  return JSON.stringify(f, (_k, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** The features of a set of segments, each with its column name in the feature table. */
export class FeatureSet {
  private readonly byKey = new Map<string, { feature: Feature; column: string }>();
  readonly traits = new Map<string, string>(); // trait name → column
  readonly computed = new Map<string, string>(); // computed name → column

  add(f: Feature): string {
    const key = featureKey(f);
    let e = this.byKey.get(key);
    if (!e) {
      e = { feature: f, column: `f${this.byKey.size}` };
      this.byKey.set(key, e);
    }
    return e.column;
  }

  trait(name: string): string {
    let c = this.traits.get(name);
    if (!c) {
      c = `t${this.traits.size}`;
      this.traits.set(name, c);
    }
    return c;
  }

  computedValue(name: string): string {
    let c = this.computed.get(name);
    if (!c) {
      c = `k${this.computed.size}`;
      this.computed.set(name, c);
    }
    return c;
  }

  features(): { feature: Feature; column: string }[] {
    return [...this.byKey.values()];
  }
}
