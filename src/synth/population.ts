/**
 * Who each customer is: persona, value parameters, demographics, geography, identity.
 *
 * Order of draws (it is what keeps the truth exact):
 *  1. buyer or browse-only, with a global probability (BUYER_SHARE), independent of anything;
 *  2. for buyers, λ, p and ν from the single global BG/NBD / Gamma-Gamma distributions;
 *  3. the persona, given those draws: P(persona k | λ, ν) ∝ weight_k · Beta(u_λ; frequencyTilt_k)
 *     · Beta(u_spend; spendTilt_k) where u_λ = F_Gamma(λ) and u_spend = 1 − F_Gamma(ν) are the
 *     customer's quantiles. Browse-only customers pick a persona ∝ weight_k · nonBuyerPropensity_k.
 * Because λ, p, ν are drawn before and independently of the persona, the pooled cohort is
 * exactly BG/NBD(r, α, a, b) and Gamma-Gamma(p, q, v), while personas still differ in value.
 */
import { CATEGORIES } from "./catalog.js";
import { CITIES, type City, EMAIL_DOMAINS, emailSlug, mobileNumber, namePool } from "./geography.js";
import { BUYER_SHARE, TRUE_PARAMETERS } from "./model.js";
import {
  CHANNELS,
  categoryVector,
  DEVICES,
  PERSONAS,
  type PersonaDefinition,
  type Weights,
} from "./planted-personas.js";
import { betaPdf, gammaCdf, type Random } from "./random.js";

/** Weights compiled to parallel arrays for fast sampling. */
export interface Table<T> {
  readonly values: readonly T[];
  readonly cum: Float64Array;
}

function table<T>(values: readonly T[], weights: readonly number[]): Table<T> {
  const cum = new Float64Array(weights.length);
  let total = 0;
  weights.forEach((w, i) => {
    total += w;
    cum[i] = total;
  });
  return { values, cum };
}

function fromWeights(w: Weights): Table<string> {
  return table(Object.keys(w), Object.values(w));
}

/** Draws one value of a compiled table. */
export function draw<T>(rng: Random, t: Table<T>): T {
  return t.values[rng.cumulative(t.cum)] as T;
}

/** A persona with its weights compiled for sampling. */
export interface CompiledPersona {
  readonly index: number;
  readonly def: PersonaDefinition;
  readonly gender: Table<string>;
  readonly education: Table<string>;
  readonly occupation: Table<string>;
  readonly cities: Table<City>;
  readonly devices: Table<(typeof DEVICES)[number]>;
  readonly channels: Table<(typeof CHANNELS)[number]>;
  readonly categories: readonly number[];
  readonly hourPeaks: Table<{ hour: number; sd: number }>;
  readonly survey: Readonly<Record<string, Table<string>>>;
}

/** The personas, compiled once. */
export const COMPILED: readonly CompiledPersona[] = PERSONAS.map((def, index) => ({
  index,
  def,
  gender: fromWeights(def.gender),
  education: fromWeights(def.education),
  occupation: fromWeights(def.occupation),
  cities: table(
    Object.keys(def.cities).map((name) => {
      const city = CITIES[name];
      if (city === undefined) throw new Error(`persona ${def.id}: unknown city ${name}`);
      return city;
    }),
    Object.values(def.cities),
  ),
  devices: table(
    DEVICES,
    DEVICES.map((d) => def.devices[d]),
  ),
  channels: table(
    CHANNELS,
    CHANNELS.map((c) => def.channels[c]),
  ),
  categories: categoryVector(def),
  hourPeaks: table(
    def.hours.map((h) => ({ hour: h.hour, sd: h.sd })),
    def.hours.map((h) => h.weight),
  ),
  survey: Object.fromEntries(Object.entries(def.survey).map(([q, w]) => [q, fromWeights(w)])),
}));

/** A customer as drawn, before any activity. */
export interface Profile {
  readonly index: number;
  readonly id: string;
  readonly persona: CompiledPersona;
  readonly buyer: boolean;
  /** BG/NBD purchase rate per week and dropout probability; Gamma-Gamma spend rate. NaN for non-buyers. */
  readonly lambda: number;
  readonly dropout: number;
  readonly nu: number;
  readonly age: number;
  readonly gender: string;
  readonly income: number;
  readonly education: string;
  readonly occupation: string;
  readonly city: City;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly phone: string;
  readonly primaryDevice: (typeof DEVICES)[number];
  /** The customer's personal offset (hours) from the persona's usual hours. */
  readonly hourShift: number;
  /** Cumulative category preference weights (CATEGORIES order). */
  readonly categoryCum: Float64Array;
  /** Index of the customer's favourite category. */
  readonly favourite: number;
}

/** Customer id of the customer at `index` (0-based): C0000001, C0000002, … */
export function customerId(index: number): string {
  const n = String(index + 1);
  return n.length >= 7 ? `C${n}` : `C${"0000000".slice(n.length)}${n}`;
}

const { r, alpha } = TRUE_PARAMETERS.bgnbd;
const { q, v } = TRUE_PARAMETERS.gammaGamma;
const CLAMP = 1e-9;

function choosePersona(rng: Random, buyer: boolean, lambda: number, nu: number): CompiledPersona {
  const weights = new Array<number>(COMPILED.length);
  if (!buyer) {
    COMPILED.forEach((p, k) => {
      weights[k] = p.def.weight * p.def.nonBuyerPropensity;
    });
  } else {
    const uLambda = Math.min(1 - CLAMP, Math.max(CLAMP, gammaCdf(r, alpha * lambda)));
    const uSpend = Math.min(1 - CLAMP, Math.max(CLAMP, 1 - gammaCdf(q, v * nu)));
    COMPILED.forEach((p, k) => {
      const [fa, fb] = p.def.frequencyTilt;
      const [sa, sb] = p.def.spendTilt;
      weights[k] = p.def.weight * betaPdf(uLambda, fa, fb) * betaPdf(uSpend, sa, sb);
    });
  }
  return COMPILED[rng.weighted(weights)] as CompiledPersona;
}

function emailFor(rng: Random, index: number, first: string, last: string): string {
  const f = emailSlug(first);
  const l = emailSlug(last);
  // Ends with the customer number after a letter: unique by construction (names hold no digits).
  const n = index + 1;
  const domain = rng.pick(EMAIL_DOMAINS);
  switch (rng.int(4)) {
    case 0:
      return `${f}.${l}${n}@${domain}`;
    case 1:
      return `${f.slice(0, 1)}${l}${n}@${domain}`;
    case 2:
      return `${f}_${l}${n}@${domain}`;
    default:
      return `${l}.${f}${n}@${domain}`;
  }
}

function phoneFor(rng: Random, country: string, index: number): string {
  // The same draws as ever (so that every other column of a seed stays as it was), made into a valid mobile number.
  let digits = "";
  const length = 9 + rng.int(2);
  digits += String(1 + rng.int(9));
  for (let i = 1; i < length; i++) digits += String(rng.int(10));
  return mobileNumber(country, digits, index);
}

/** Draws customer `index` from its own random stream. */
export function drawProfile(rng: Random, index: number): Profile {
  const buyer = rng.float() < BUYER_SHARE;
  const { a, b } = TRUE_PARAMETERS.bgnbd;
  const lambda = buyer ? rng.gamma(r, alpha) : Number.NaN;
  const dropout = buyer ? rng.beta(a, b) : Number.NaN;
  const nu = buyer ? rng.gamma(q, v) : Number.NaN;
  const persona = choosePersona(rng, buyer, lambda, nu);
  const def = persona.def;

  const age = Math.round(Math.min(def.age.max, Math.max(def.age.min, rng.normal(def.age.mean, def.age.sd))));
  const gender = draw(rng, persona.gender);
  const income = Math.round(rng.logNormal(def.income.median, def.income.sigma) / 100) * 100;
  const city = draw(rng, persona.cities);
  const pool = namePool(city.country);
  const female = gender === "female" || (gender !== "male" && rng.chance(0.5));
  const firstName = rng.pick(female ? pool.female : pool.male);
  const lastName = rng.pick(pool.last);

  // Personal category taste: a Dirichlet around the persona's preferences.
  const categoryCum = new Float64Array(CATEGORIES.length);
  let total = 0;
  let favourite = 0;
  let best = -1;
  for (let c = 0; c < CATEGORIES.length; c++) {
    const g = rng.gamma(25 * (persona.categories[c] as number) + 0.02);
    if (g > best) {
      best = g;
      favourite = c;
    }
    total += g;
    categoryCum[c] = total;
  }

  return {
    index,
    id: customerId(index),
    persona,
    buyer,
    lambda,
    dropout,
    nu,
    age,
    gender,
    income,
    education: draw(rng, persona.education),
    occupation: draw(rng, persona.occupation),
    city,
    firstName,
    lastName,
    email: emailFor(rng, index, firstName, lastName),
    phone: phoneFor(rng, city.country, index),
    primaryDevice: draw(rng, persona.devices),
    hourShift: rng.normal(0, 0.6),
    categoryCum,
    favourite,
  };
}

/** A second of the day (0–86399) following the customer's hour-of-day habit. */
export function secondOfDay(rng: Random, profile: Profile): number {
  // One visit in ten happens at any hour: habits are tendencies, not rules.
  if (rng.quick() < 0.1) return rng.int(86_400);
  const peak = draw(rng, profile.persona.hourPeaks);
  let hour = rng.normal(peak.hour + profile.hourShift, peak.sd);
  hour = ((hour % 24) + 24) % 24;
  return Math.min(86_399, Math.floor(hour * 3600));
}
