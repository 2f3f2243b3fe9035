/**
 * The true statistical parameters of the synthetic population.
 *
 * Time unit: weeks (7 days). Purchase rate λ ~ Gamma(shape r, rate α) per week; dropout
 * probability p ~ Beta(a, b). Spend: each order's value z ~ Gamma(shape p, rate ν) with the
 * customer's ν ~ Gamma(shape q, rate v) (Fader & Hardie's Gamma-Gamma; mean order value of the
 * population p·v/(q−1) = 80 EUR here).
 *
 * The values are chosen so that a BG/NBD fit on 200,000 customers over one year recovers them
 * within 10% (same-day purchases merge, so α comes out a few percent high): mean λ = 0.1/week (about five purchases a year while alive) and mean
 * dropout 0.24 give about 1.5 repeat purchases per buyer on average.
 */
export const TRUE_PARAMETERS = {
  timeUnit: "week",
  bgnbd: { r: 0.5, alpha: 5, a: 0.8, b: 2.5 },
  gammaGamma: { p: 6, q: 4, v: 40 },
} as const;

/** Share of customers who buy at least once (the BG/NBD cohort); the rest only browse. */
export const BUYER_SHARE = 0.85;

/** Every order is in this currency; the Gamma-Gamma values are amounts in it. */
export const CURRENCY = "EUR";

/** Probability that an order has one line returned later. */
export const RETURN_RATE = 0.02;

/** Probability that a customer's address hard-bounces at the first send. */
export const HARD_BOUNCE_RATE = 0.01;

/** Marketing e-mail campaigns: one every this many days… */
export const CAMPAIGN_EVERY_DAYS = 7;
/** …each sent to this share of the subscribers… */
export const CAMPAIGN_SEND_SHARE = 0.5;
/** …at this hour (UTC), spread over the following half hour. */
export const CAMPAIGN_HOUR_UTC = 9;
