/**
 * The planted personas: who the synthetic customers are.
 *
 * Personas differ in demographics, geography, psychographics (survey answers), technographics
 * (device, OS), channels, hour-of-day habits, category preferences and value. Distributions
 * overlap on purpose (ages are normal, incomes log-normal, cities shared between personas) so
 * that recovering them by clustering is realistic rather than trivial.
 *
 * Value differences are *not* separate purchase processes: everyone's BG/NBD and Gamma-Gamma
 * parameters come from one global distribution, and the persona is then chosen with a
 * preference for customers whose draws sit in its part of the frequency/spend quantiles
 * (`frequencyTilt`, `spendTilt`, see population.ts). That keeps the pooled population exactly
 * BG/NBD/Gamma-Gamma with the parameters recorded in truth.json.
 */
import { CATEGORIES, type Category } from "./catalog.js";

/** Acquisition channels (the `channel` event property). */
export const CHANNELS = ["email", "search", "social", "direct", "paid"] as const;
/** One channel. */
export type Channel = (typeof CHANNELS)[number];

/** Device kinds (the `device` event property). */
export const DEVICES = ["mobile", "desktop", "tablet"] as const;
/** One device kind. */
export type Device = (typeof DEVICES)[number];

/** A peak of activity in the day (UTC hours). */
export interface HourPeak {
  readonly hour: number;
  readonly sd: number;
  readonly weight: number;
}

/** Weights (not necessarily summing to 1) over named outcomes. */
export type Weights = Readonly<Record<string, number>>;

/** Everything that defines a persona; recorded verbatim in truth.json. */
export interface PersonaDefinition {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /** Relative size before the value tilt. */
  readonly weight: number;
  /** Relative propensity to be a browse-only customer who never buys. */
  readonly nonBuyerPropensity: number;
  /** Beta(a, b) density over the customer's purchase-rate quantile (high a: frequent buyers). */
  readonly frequencyTilt: readonly [number, number];
  /** Beta(a, b) density over the customer's spend quantile (high a: big spenders). */
  readonly spendTilt: readonly [number, number];
  readonly age: { readonly mean: number; readonly sd: number; readonly min: number; readonly max: number };
  readonly gender: Weights;
  /** Log-normal yearly income: median (EUR) and log-sd. */
  readonly income: { readonly median: number; readonly sigma: number };
  readonly education: Weights;
  readonly occupation: Weights;
  /** City name (geography.ts) → weight. */
  readonly cities: Weights;
  readonly devices: Readonly<Record<Device, number>>;
  /** Share of Apple among the persona's phones/tablets and among its computers. */
  readonly appleMobile: number;
  readonly appleDesktop: number;
  readonly channels: Readonly<Record<Channel, number>>;
  readonly hours: readonly HourPeak[];
  readonly categories: Readonly<Partial<Record<Category, number>>>;
  /** Browsing (non-purchase) sessions per week while active. */
  readonly browseRate: number;
  /** Probability that a session on a known device is logged in. */
  readonly loginRate: number;
  readonly consent: {
    readonly analytics: number;
    readonly personalization: number;
    readonly email: number;
    readonly sms: number;
    readonly push: number;
  };
  /** Probability of opening a marketing e-mail. */
  readonly emailOpen: number;
  /** Probability of answering each survey. */
  readonly surveyRate: number;
  /** Answer weights per survey question; price_sensitivity and brand_loyalty are 1–5 scales. */
  readonly survey: Readonly<Record<string, Weights>>;
}

const scale = (w: readonly number[]): Weights => Object.fromEntries(w.map((x, i) => [String(i + 1), x]));

/** The six planted personas. Their order is their index in truth files. */
export const PERSONAS: readonly PersonaDefinition[] = [
  {
    id: "urban-professional",
    name: "Urban young professional",
    description:
      "Late-twenties/early-thirties city dwellers in tech and marketing; mobile, evenings, social and paid.",
    weight: 0.2,
    nonBuyerPropensity: 1,
    frequencyTilt: [1.6, 1],
    spendTilt: [1.2, 1],
    age: { mean: 30, sd: 4, min: 21, max: 45 },
    gender: { female: 0.47, male: 0.5, "non-binary": 0.03 },
    income: { median: 64_000, sigma: 0.25 },
    education: { bachelor: 0.55, master: 0.35, high_school: 0.05, doctorate: 0.05 },
    occupation: {
      software_engineer: 3,
      designer: 2,
      marketing_manager: 2,
      consultant: 2,
      analyst: 2,
      product_manager: 1,
    },
    cities: {
      London: 3,
      Berlin: 3,
      Amsterdam: 2,
      "New York": 3,
      "San Francisco": 2,
      Stockholm: 1,
      Toronto: 1,
      Paris: 1,
      Austin: 1,
    },
    devices: { mobile: 0.7, desktop: 0.26, tablet: 0.04 },
    appleMobile: 0.65,
    appleDesktop: 0.6,
    channels: { email: 0.08, search: 0.2, social: 0.35, direct: 0.12, paid: 0.25 },
    hours: [
      { hour: 20.5, sd: 1.3, weight: 0.75 },
      { hour: 12.5, sd: 0.8, weight: 0.25 },
    ],
    categories: {
      electronics: 0.32,
      fashion: 0.25,
      shoes: 0.15,
      gaming: 0.08,
      home: 0.08,
      beauty: 0.07,
      books: 0.05,
    },
    browseRate: 0.12,
    loginRate: 0.75,
    consent: { analytics: 0.75, personalization: 0.7, email: 0.45, sms: 0.1, push: 0.45 },
    emailOpen: 0.18,
    surveyRate: 0.25,
    survey: {
      interests: { technology: 4, travel: 3, fashion: 2, fitness: 1, music: 2 },
      values: { convenience: 4, innovation: 3, quality: 2, sustainability: 2 },
      lifestyle: { "urban-professional": 6, "jet-setter": 1, "active-outdoor": 1 },
      price_sensitivity: scale([0.15, 0.35, 0.3, 0.15, 0.05]),
      brand_loyalty: scale([0.15, 0.3, 0.3, 0.2, 0.05]),
    },
  },
  {
    id: "suburban-family",
    name: "Suburban family",
    description:
      "Parents around forty in suburbs; tablets and desktops, e-mail and search, mornings and late evenings, kids/home/grocery.",
    weight: 0.2,
    nonBuyerPropensity: 0.6,
    frequencyTilt: [2.2, 1],
    spendTilt: [1.3, 1.2],
    age: { mean: 41, sd: 4.5, min: 27, max: 58 },
    gender: { female: 0.64, male: 0.35, "non-binary": 0.01 },
    income: { median: 82_000, sigma: 0.25 },
    education: { bachelor: 0.45, high_school: 0.2, associate: 0.2, master: 0.15 },
    occupation: {
      teacher: 2,
      nurse: 2,
      accountant: 1,
      sales_manager: 1,
      homemaker: 2,
      electrician: 1,
      administrator: 1,
    },
    cities: {
      Naperville: 3,
      Plano: 3,
      Mississauga: 2,
      Melbourne: 2,
      Brisbane: 1,
      Manchester: 2,
      Hamburg: 1,
      Utrecht: 1,
      Lyon: 1,
    },
    devices: { mobile: 0.25, desktop: 0.35, tablet: 0.4 },
    appleMobile: 0.5,
    appleDesktop: 0.3,
    channels: { email: 0.35, search: 0.3, social: 0.1, direct: 0.2, paid: 0.05 },
    hours: [
      { hour: 9.5, sd: 1, weight: 0.55 },
      { hour: 21.5, sd: 0.8, weight: 0.45 },
    ],
    categories: {
      kids: 0.35,
      home: 0.22,
      grocery: 0.18,
      health: 0.08,
      books: 0.07,
      fashion: 0.05,
      garden: 0.05,
    },
    browseRate: 0.11,
    loginRate: 0.85,
    consent: { analytics: 0.85, personalization: 0.7, email: 0.75, sms: 0.3, push: 0.3 },
    emailOpen: 0.34,
    surveyRate: 0.35,
    survey: {
      interests: { family: 6, cooking: 3, home_improvement: 2, travel: 1 },
      values: { security: 3, price: 3, convenience: 3, quality: 1 },
      lifestyle: { "family-oriented": 7, homebody: 2, "active-outdoor": 1 },
      price_sensitivity: scale([0.03, 0.12, 0.3, 0.35, 0.2]),
      brand_loyalty: scale([0.05, 0.15, 0.3, 0.35, 0.15]),
    },
  },
  {
    id: "affluent-retiree",
    name: "Affluent retiree",
    description:
      "Retired people in warm climates; desktop and e-mail, early mornings, garden/books/health, fewer but bigger orders.",
    weight: 0.16,
    nonBuyerPropensity: 0.9,
    frequencyTilt: [1, 1.8],
    spendTilt: [2, 1],
    age: { mean: 68, sd: 5, min: 57, max: 90 },
    gender: { female: 0.55, male: 0.45 },
    income: { median: 52_000, sigma: 0.3 },
    education: { bachelor: 0.4, master: 0.25, high_school: 0.3, doctorate: 0.05 },
    occupation: { retired: 18, consultant: 1, volunteer: 1 },
    cities: {
      Scottsdale: 3,
      Miami: 3,
      Nice: 2,
      Málaga: 2,
      Palermo: 1,
      Perth: 1,
      "Gold Coast": 2,
      Valencia: 1,
    },
    devices: { mobile: 0.06, desktop: 0.64, tablet: 0.3 },
    appleMobile: 0.45,
    appleDesktop: 0.25,
    channels: { email: 0.55, search: 0.15, social: 0.02, direct: 0.28, paid: 0 },
    hours: [{ hour: 8.5, sd: 1.2, weight: 1 }],
    categories: { garden: 0.3, books: 0.25, health: 0.22, home: 0.12, grocery: 0.06, jewelry: 0.05 },
    browseRate: 0.07,
    loginRate: 0.9,
    consent: { analytics: 0.7, personalization: 0.5, email: 0.85, sms: 0.15, push: 0.05 },
    emailOpen: 0.45,
    surveyRate: 0.45,
    survey: {
      interests: { gardening: 5, reading: 4, travel: 2, wellness: 2, cooking: 1 },
      values: { tradition: 4, quality: 4, security: 2 },
      lifestyle: { "relaxed-retired": 8, homebody: 2 },
      price_sensitivity: scale([0.25, 0.35, 0.25, 0.1, 0.05]),
      brand_loyalty: scale([0.02, 0.08, 0.2, 0.35, 0.35]),
    },
  },
  {
    id: "student-bargain-hunter",
    name: "Student bargain hunter",
    description:
      "Students around twenty in university towns; phones, social, late nights, fashion/gaming/beauty, small baskets.",
    weight: 0.17,
    nonBuyerPropensity: 2,
    frequencyTilt: [1.2, 1],
    spendTilt: [1, 2.4],
    age: { mean: 21, sd: 1.8, min: 18, max: 28 },
    gender: { female: 0.52, male: 0.44, "non-binary": 0.04 },
    income: { median: 11_000, sigma: 0.35 },
    education: { high_school: 0.5, bachelor: 0.4, associate: 0.1 },
    occupation: { student: 17, barista: 1, retail_assistant: 1, intern: 1 },
    cities: {
      Madison: 3,
      Oxford: 2,
      Edinburgh: 2,
      Freiburg: 2,
      Umeå: 1,
      Utrecht: 1,
      Barcelona: 2,
      Melbourne: 1,
      Austin: 1,
    },
    devices: { mobile: 0.9, desktop: 0.08, tablet: 0.02 },
    appleMobile: 0.4,
    appleDesktop: 0.3,
    channels: { email: 0.03, search: 0.15, social: 0.55, direct: 0.07, paid: 0.2 },
    hours: [{ hour: 23.3, sd: 1.2, weight: 1 }],
    categories: { fashion: 0.3, gaming: 0.25, beauty: 0.18, electronics: 0.12, shoes: 0.1, grocery: 0.05 },
    browseRate: 0.16,
    loginRate: 0.6,
    consent: { analytics: 0.6, personalization: 0.75, email: 0.4, sms: 0.05, push: 0.55 },
    emailOpen: 0.1,
    surveyRate: 0.2,
    survey: {
      interests: { gaming: 4, fashion: 4, music: 3, technology: 2 },
      values: { price: 6, sustainability: 2, convenience: 2 },
      lifestyle: { "student-social": 8, "urban-professional": 1 },
      price_sensitivity: scale([0.01, 0.04, 0.15, 0.35, 0.45]),
      brand_loyalty: scale([0.35, 0.35, 0.2, 0.08, 0.02]),
    },
  },
  {
    id: "outdoor-enthusiast",
    name: "Outdoor enthusiast",
    description:
      "Active mid-thirties, mostly men, in mountain and cold regions; search, very early mornings, outdoor/sports gear.",
    weight: 0.15,
    nonBuyerPropensity: 0.8,
    frequencyTilt: [1, 1],
    spendTilt: [1.5, 1],
    age: { mean: 36, sd: 5, min: 22, max: 55 },
    gender: { female: 0.3, male: 0.68, "non-binary": 0.02 },
    income: { median: 58_000, sigma: 0.25 },
    education: { bachelor: 0.4, associate: 0.25, high_school: 0.25, master: 0.1 },
    occupation: {
      engineer: 2,
      paramedic: 1,
      carpenter: 1,
      ski_instructor: 1,
      park_ranger: 1,
      physiotherapist: 1,
    },
    cities: {
      Denver: 2,
      Boulder: 2,
      Calgary: 2,
      Vancouver: 2,
      Tromsø: 1,
      Bergen: 1,
      Oslo: 1,
      Davos: 1,
      Chamonix: 1,
      Zürich: 1,
      Seattle: 1,
    },
    devices: { mobile: 0.45, desktop: 0.5, tablet: 0.05 },
    appleMobile: 0.35,
    appleDesktop: 0.2,
    channels: { email: 0.12, search: 0.5, social: 0.08, direct: 0.2, paid: 0.1 },
    hours: [{ hour: 6.2, sd: 0.9, weight: 1 }],
    categories: { outdoor: 0.42, sports: 0.33, health: 0.08, shoes: 0.08, electronics: 0.05, books: 0.04 },
    browseRate: 0.1,
    loginRate: 0.8,
    consent: { analytics: 0.8, personalization: 0.55, email: 0.55, sms: 0.15, push: 0.25 },
    emailOpen: 0.25,
    surveyRate: 0.3,
    survey: {
      interests: { outdoors: 6, fitness: 3, travel: 2 },
      values: { adventure: 5, sustainability: 3, quality: 2 },
      lifestyle: { "active-outdoor": 8, homebody: 1 },
      price_sensitivity: scale([0.05, 0.25, 0.4, 0.25, 0.05]),
      brand_loyalty: scale([0.05, 0.15, 0.3, 0.35, 0.15]),
    },
  },
  {
    id: "luxury-connoisseur",
    name: "Luxury connoisseur",
    description:
      "High-income executives in world cities; Apple devices, direct traffic, lunchtime, jewelry/fashion/beauty, large orders.",
    weight: 0.12,
    nonBuyerPropensity: 0.6,
    frequencyTilt: [1.4, 1],
    spendTilt: [3.5, 1],
    age: { mean: 47, sd: 5.5, min: 30, max: 70 },
    gender: { female: 0.6, male: 0.4 },
    income: { median: 210_000, sigma: 0.3 },
    education: { master: 0.55, doctorate: 0.2, bachelor: 0.25 },
    occupation: { executive: 3, lawyer: 2, physician: 2, entrepreneur: 2, investor: 1, architect: 1 },
    cities: {
      "New York": 2,
      London: 2,
      Paris: 2,
      Dubai: 2,
      Tokyo: 1,
      Zürich: 1,
      Geneva: 1,
      Milan: 2,
      Sydney: 1,
    },
    devices: { mobile: 0.55, desktop: 0.38, tablet: 0.07 },
    appleMobile: 0.9,
    appleDesktop: 0.8,
    channels: { email: 0.25, search: 0.1, social: 0.05, direct: 0.45, paid: 0.15 },
    hours: [{ hour: 13, sd: 1, weight: 1 }],
    categories: { jewelry: 0.36, fashion: 0.28, beauty: 0.18, shoes: 0.1, home: 0.08 },
    browseRate: 0.1,
    loginRate: 0.9,
    consent: { analytics: 0.7, personalization: 0.8, email: 0.6, sms: 0.35, push: 0.3 },
    emailOpen: 0.3,
    surveyRate: 0.22,
    survey: {
      interests: { luxury: 5, travel: 3, art: 3, fashion: 2 },
      values: { status: 4, quality: 5, innovation: 1 },
      lifestyle: { "jet-setter": 7, "urban-professional": 2 },
      price_sensitivity: scale([0.55, 0.3, 0.1, 0.04, 0.01]),
      brand_loyalty: scale([0.02, 0.08, 0.2, 0.35, 0.35]),
    },
  },
];

/** A persona's category weights as a dense vector in CATEGORIES order (absent = a small floor). */
export function categoryVector(p: PersonaDefinition): number[] {
  return CATEGORIES.map((c) => p.categories[c] ?? 0.005);
}
