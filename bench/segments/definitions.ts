/**
 * The 20 segment definitions of the segment refresh benchmark, over the synthetic data set (src/synth). Together
 * they use every leaf kind of the language: trait comparisons (every operator, a relative date), events (count,
 * window, hour, weekday, property filters with all/any/not, type, "*"), orders (every aggregate, relative and
 * absolute windows, categories, "of": "quantity"), segment references, consent with and without a channel, and
 * computed values (the RFM scores of src/analytics/rfm.ts). The hand-written SQL for each is in queries.ts.
 *
 * Saved in this order (references after what they refer to).
 */
export const SEGMENTS: readonly { id: string; name: string; where: unknown }[] = [
  {
    id: "eu-adults",
    name: "European adults, not male",
    where: {
      all: [
        { trait: "country", in: ["DE", "FR", "NL", "ES", "IT", "CH", "SE", "NO"] },
        { trait: "age", between: [25, 54] },
        { trait: "gender", neq: "male" },
      ],
    },
  },
  {
    id: "recent-signups",
    name: "Signed up in the last 90 days, reachable",
    where: {
      all: [
        { trait: "signup_date", gte: { ago: "90d" } },
        {
          any: [
            { trait: "email", contains: "@example.com" },
            { trait: "phone", starts_with: "+44" },
          ],
        },
      ],
    },
  },
  {
    id: "affluent-educated",
    name: "Affluent, educated, under 45, outside the US",
    where: {
      all: [
        { trait: "income", gt: 90000 },
        { trait: "age", lt: 45 },
        { trait: "education", not_in: ["high_school", "associate"] },
        { not: { trait: "country", eq: "US" } },
      ],
    },
  },
  {
    id: "mobile-browsers",
    name: "Viewed 3+ products on mobile in 30 days",
    where: {
      event: "Product Viewed",
      within: "30d",
      where: { property: "device", eq: "mobile" },
      count: { gte: 3 },
    },
  },
  {
    id: "night-owls",
    name: "Page views between midnight and 6 am, 90 days",
    where: { event: "*", type: "page", within: "90d", hour: { between: [0, 5] }, count: { gte: 2 } },
  },
  {
    id: "weekend-buyers",
    name: "Two or more weekend orders in 26 weeks",
    where: { event: "Order Completed", within: "26w", weekday: { in: [5, 6] }, count: { gte: 2 } },
  },
  {
    id: "engaged-emailers",
    name: "Opened 2+ e-mails in 60 days, never bounced",
    where: {
      all: [
        { event: "Email Opened", within: "60d", count: { gte: 2 } },
        { event: "Email Bounced", count: { eq: 0 } },
      ],
    },
  },
  {
    id: "cart-abandoners",
    name: "Added a €50+ product off desktop in 14 days, no order",
    where: {
      all: [
        {
          event: "Product Added",
          within: "14d",
          where: { all: [{ property: "price", gte: 50 }, { not: { property: "device", eq: "desktop" } }] },
        },
        { event: "Order Completed", within: "14d", count: { eq: 0 } },
      ],
    },
  },
  {
    id: "tech-curious",
    name: "5+ tech views in 3 months",
    where: {
      event: "Product Viewed",
      within: "3m",
      where: {
        any: [
          { property: "category", in: ["electronics", "gaming"] },
          { property: "url", starts_with: "/c/electronics" },
        ],
      },
      count: { gte: 5 },
    },
  },
  {
    id: "frequent-buyers",
    name: "4+ orders and €300+ in 365 days",
    where: {
      all: [
        { orders: "count", within: "365d", gte: 4 },
        { orders: "sum", of: "total", within: "365d", gte: 300 },
      ],
    },
  },
  {
    id: "big-baskets",
    name: "Average order €120+, a €250+ order in the last year",
    where: {
      all: [
        { orders: "avg", gte: 120 },
        { orders: "max", within: "1y", gte: 250 },
      ],
    },
  },
  {
    id: "bargain-hunters",
    name: "Two orders in 6 months, the smallest under €20",
    where: {
      all: [
        { orders: "min", within: "6m", lte: 20 },
        { orders: "count", within: "6m", gte: 2 },
      ],
    },
  },
  {
    id: "lapsed-repeaters",
    name: "Repeat buyers with no order for 120 days",
    where: {
      all: [
        { orders: "days_since_last", gte: 120 },
        { orders: "count", gte: 2 },
      ],
    },
  },
  {
    id: "new-buyers",
    name: "First order less than 30 days ago",
    where: { orders: "days_since_first", lt: 30 },
  },
  {
    id: "fashion-fans",
    name: "Fashion: 2+ orders in 6 months, €100+ in Q1",
    where: {
      all: [
        { orders: "count", category: ["fashion", "shoes", "jewelry"], within: "6m", gte: 2 },
        { orders: "sum", category: "fashion", within: { from: "2026-01-01", to: "2026-03-31" }, gte: 100 },
      ],
    },
  },
  {
    id: "bulk-buyers",
    name: "8+ items in 12 months, or 2+ grocery items per order",
    where: {
      any: [
        { orders: "sum", of: "quantity", within: "12m", gte: 8 },
        { orders: "avg", of: "quantity", category: "grocery", gte: 2 },
      ],
    },
  },
  {
    id: "email-reachable",
    name: "Marketing e-mail consent, has an address",
    where: {
      all: [
        { consent: "marketing", channel: "email" },
        { trait: "email", exists: true },
      ],
    },
  },
  {
    id: "analytics-active",
    name: "Analytics consent, visited the site in 7 days, known for 30 days",
    where: {
      all: [
        { consent: "analytics" },
        { event: "*", type: "page", within: "7d" },
        { trait: "first_seen", lte: { ago: "30d" } },
      ],
    },
  },
  {
    id: "vip-reachable",
    name: "Frequent buyers we may e-mail, not lapsed",
    where: {
      all: [
        { segment: "frequent-buyers" },
        { segment: "email-reachable" },
        { not: { segment: "lapsed-repeaters" } },
      ],
    },
  },
  {
    id: "valuable-at-risk",
    name: "Champions or loyal going quiet, or big spenders not browsing",
    where: {
      any: [
        {
          all: [
            { computed: "rfm_segment", in: ["Champions", "Loyal", "Cannot Lose Them"] },
            { orders: "days_since_last", gte: 45 },
          ],
        },
        {
          all: [
            { computed: "rfm_m", gte: 4 },
            { event: "Page Viewed", within: "4w", count: { lt: 1 } },
          ],
        },
      ],
    },
  },
];
