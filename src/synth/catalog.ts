/**
 * The product catalogue: categories, SKUs, descriptions and list prices.
 *
 * Each category has a fixed list of SKUs whose description and list price are derived from the
 * SKU number, so the same SKU always looks the same wherever it appears.
 */

/** Product categories, in a fixed order (persona preference vectors are indexed by it). */
export const CATEGORIES = [
  "electronics",
  "fashion",
  "shoes",
  "beauty",
  "home",
  "kids",
  "grocery",
  "garden",
  "books",
  "health",
  "sports",
  "outdoor",
  "gaming",
  "jewelry",
] as const;
/** A product category. */
export type Category = (typeof CATEGORIES)[number];

/** SKUs per category. */
export const SKUS_PER_CATEGORY = 400;

interface CategorySpec {
  readonly code: string;
  /** Typical list price range in cents. */
  readonly minCents: number;
  readonly maxCents: number;
  readonly nouns: readonly string[];
}

const SPECS: Readonly<Record<Category, CategorySpec>> = {
  electronics: {
    code: "EL",
    minCents: 1_999,
    maxCents: 89_900,
    nouns: ["headphones", "charger", "speaker", "tablet", "smartwatch", "camera", "keyboard", "monitor"],
  },
  fashion: {
    code: "FA",
    minCents: 1_499,
    maxCents: 19_900,
    nouns: ["jacket", "dress", "shirt", "jeans", "sweater", "scarf", "coat", "skirt"],
  },
  shoes: {
    code: "SH",
    minCents: 2_999,
    maxCents: 24_900,
    nouns: ["sneakers", "boots", "sandals", "loafers", "running shoes", "heels"],
  },
  beauty: {
    code: "BE",
    minCents: 599,
    maxCents: 14_900,
    nouns: ["serum", "lipstick", "moisturiser", "perfume", "mascara", "cleanser"],
  },
  home: {
    code: "HO",
    minCents: 999,
    maxCents: 49_900,
    nouns: ["lamp", "cushion", "rug", "vase", "blanket", "pan set", "kettle", "shelf"],
  },
  kids: {
    code: "KI",
    minCents: 799,
    maxCents: 12_900,
    nouns: ["puzzle", "building set", "plush toy", "school bag", "raincoat", "board game"],
  },
  grocery: {
    code: "GR",
    minCents: 199,
    maxCents: 4_900,
    nouns: ["coffee", "olive oil", "tea", "chocolate", "pasta", "granola"],
  },
  garden: {
    code: "GA",
    minCents: 899,
    maxCents: 39_900,
    nouns: ["hose", "planter", "pruner", "seed kit", "bird feeder", "lawn chair"],
  },
  books: {
    code: "BO",
    minCents: 699,
    maxCents: 4_900,
    nouns: ["novel", "cookbook", "biography", "travel guide", "crime thriller", "atlas"],
  },
  health: {
    code: "HE",
    minCents: 499,
    maxCents: 9_900,
    nouns: ["vitamins", "yoga mat", "massage gun", "thermometer", "protein powder"],
  },
  sports: {
    code: "SP",
    minCents: 999,
    maxCents: 29_900,
    nouns: ["tennis racket", "football", "dumbbells", "cycling jersey", "swim goggles"],
  },
  outdoor: {
    code: "OU",
    minCents: 1_999,
    maxCents: 59_900,
    nouns: ["tent", "backpack", "sleeping bag", "trekking poles", "headlamp", "rain shell"],
  },
  gaming: {
    code: "GM",
    minCents: 1_999,
    maxCents: 59_900,
    nouns: ["controller", "headset", "game", "console", "gaming mouse", "gift card"],
  },
  jewelry: {
    code: "JE",
    minCents: 4_900,
    maxCents: 249_900,
    nouns: ["necklace", "ring", "bracelet", "earrings", "watch", "brooch"],
  },
};

const ADJECTIVES = [
  "classic",
  "organic",
  "premium",
  "compact",
  "vintage",
  "lightweight",
  "deluxe",
  "eco",
  "smart",
  "handmade",
  "essential",
  "signature",
  "urban",
  "coastal",
  "nordic",
  "everyday",
];

/** One catalogue product. */
export interface Product {
  readonly sku: string;
  readonly category: Category;
  readonly description: string;
  readonly listCents: number;
}

function buildCatalog(): Product[][] {
  return CATEGORIES.map((category) => {
    const spec = SPECS[category];
    const products: Product[] = [];
    for (let n = 0; n < SKUS_PER_CATEGORY; n++) {
      const adjective = ADJECTIVES[n % ADJECTIVES.length] as string;
      const noun = spec.nouns[Math.floor(n / ADJECTIVES.length) % spec.nouns.length] as string;
      // A fixed, deterministic price per SKU: log-uniform over the category's range.
      const f = ((n * 2654435761) >>> 0) / 4294967296;
      const listCents = Math.round(spec.minCents * (spec.maxCents / spec.minCents) ** f) - 1 + (n % 2);
      products.push({
        sku: `${spec.code}-${10_000 + n}`,
        category,
        description: `${adjective} ${noun}`,
        listCents,
      });
    }
    return products;
  });
}

/** Products by category index, then by SKU number. */
export const CATALOG: readonly (readonly Product[])[] = buildCatalog();

const CENTS: string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

/** Cents as a decimal amount with two places ("4999" → "49.99", "-250" → "-2.50"). */
export function formatCents(cents: number): string {
  if (cents < 0) return `-${formatCents(-cents)}`;
  const whole = Math.floor(cents / 100);
  return `${whole}.${CENTS[cents - whole * 100]}`;
}
