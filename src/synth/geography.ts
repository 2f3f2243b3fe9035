/**
 * Places and names for synthetic customers.
 *
 * Climate labels are a coarse, Köppen-inspired vocabulary (temperate, continental,
 * mediterranean, subtropical, tropical, arid, cold, subarctic, alpine) so that geographic
 * segments ("warm-climate customers") have something meaningful to select on. Some names are
 * deliberately non-ASCII: imports must handle UTF-8.
 */

/** A city with the region, country (ISO 3166-1 alpha-2) and climate it belongs to. */
export interface City {
  readonly city: string;
  readonly region: string;
  readonly country: string;
  readonly climate: string;
}

/** All cities personas can live in, keyed by city name. */
export const CITIES: Readonly<Record<string, City>> = Object.fromEntries(
  (
    [
      ["New York", "New York", "US", "continental"],
      ["San Francisco", "California", "US", "mediterranean"],
      ["Seattle", "Washington", "US", "temperate"],
      ["Austin", "Texas", "US", "subtropical"],
      ["Plano", "Texas", "US", "subtropical"],
      ["Naperville", "Illinois", "US", "continental"],
      ["Madison", "Wisconsin", "US", "continental"],
      ["Miami", "Florida", "US", "tropical"],
      ["Scottsdale", "Arizona", "US", "arid"],
      ["Denver", "Colorado", "US", "continental"],
      ["Boulder", "Colorado", "US", "alpine"],
      ["Toronto", "Ontario", "CA", "continental"],
      ["Mississauga", "Ontario", "CA", "continental"],
      ["Vancouver", "British Columbia", "CA", "temperate"],
      ["Calgary", "Alberta", "CA", "cold"],
      ["London", "England", "GB", "temperate"],
      ["Manchester", "England", "GB", "temperate"],
      ["Oxford", "England", "GB", "temperate"],
      ["Edinburgh", "Scotland", "GB", "temperate"],
      ["Berlin", "Berlin", "DE", "temperate"],
      ["Hamburg", "Hamburg", "DE", "temperate"],
      ["Munich", "Bavaria", "DE", "continental"],
      ["Freiburg", "Baden-Württemberg", "DE", "temperate"],
      ["Paris", "Île-de-France", "FR", "temperate"],
      ["Lyon", "Auvergne-Rhône-Alpes", "FR", "temperate"],
      ["Chamonix", "Auvergne-Rhône-Alpes", "FR", "alpine"],
      ["Nice", "Provence-Alpes-Côte d'Azur", "FR", "mediterranean"],
      ["Madrid", "Madrid", "ES", "mediterranean"],
      ["Barcelona", "Catalonia", "ES", "mediterranean"],
      ["Valencia", "Valencia", "ES", "mediterranean"],
      ["Málaga", "Andalusia", "ES", "mediterranean"],
      ["Milan", "Lombardy", "IT", "temperate"],
      ["Rome", "Lazio", "IT", "mediterranean"],
      ["Palermo", "Sicily", "IT", "mediterranean"],
      ["Amsterdam", "North Holland", "NL", "temperate"],
      ["Utrecht", "Utrecht", "NL", "temperate"],
      ["Rotterdam", "South Holland", "NL", "temperate"],
      ["Stockholm", "Stockholm", "SE", "cold"],
      ["Umeå", "Västerbotten", "SE", "subarctic"],
      ["Oslo", "Oslo", "NO", "cold"],
      ["Bergen", "Vestland", "NO", "temperate"],
      ["Tromsø", "Troms", "NO", "subarctic"],
      ["Zürich", "Zurich", "CH", "temperate"],
      ["Geneva", "Geneva", "CH", "temperate"],
      ["Davos", "Graubünden", "CH", "alpine"],
      ["Sydney", "New South Wales", "AU", "subtropical"],
      ["Melbourne", "Victoria", "AU", "temperate"],
      ["Brisbane", "Queensland", "AU", "subtropical"],
      ["Gold Coast", "Queensland", "AU", "subtropical"],
      ["Perth", "Western Australia", "AU", "mediterranean"],
      ["Dubai", "Dubai", "AE", "arid"],
      ["Tokyo", "Tokyo", "JP", "subtropical"],
    ] as const
  ).map(([city, region, country, climate]) => [city, { city, region, country, climate }]),
);

/** Name pools by language group. */
interface NamePool {
  readonly female: readonly string[];
  readonly male: readonly string[];
  readonly last: readonly string[];
}

const NAMES: Readonly<Record<string, NamePool>> = {
  en: {
    female: [
      "Olivia",
      "Emma",
      "Amelia",
      "Sophia",
      "Isla",
      "Grace",
      "Chloe",
      "Emily",
      "Hannah",
      "Ava",
      "Lily",
      "Zoe",
    ],
    male: [
      "Oliver",
      "Jack",
      "Harry",
      "Noah",
      "Liam",
      "James",
      "Ethan",
      "Lucas",
      "Mason",
      "Henry",
      "Owen",
      "Leo",
    ],
    last: ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Walker", "Wright"],
  },
  de: {
    female: ["Anna", "Lena", "Mia", "Hannah", "Lea", "Sophie", "Marie", "Jana", "Katrin", "Julia", "Nina"],
    male: ["Lukas", "Felix", "Jonas", "Leon", "Paul", "Max", "Moritz", "Tobias", "Jan", "Florian", "Stefan"],
    last: ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann"],
  },
  fr: {
    female: ["Camille", "Léa", "Manon", "Chloé", "Inès", "Juliette", "Louise", "Claire", "Élodie"],
    male: ["Lucas", "Hugo", "Louis", "Gabriel", "Arthur", "Jules", "Théo", "Mathieu", "Nicolas"],
    last: ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Lefèvre"],
  },
  es: {
    female: ["Lucía", "María", "Paula", "Sofía", "Carmen", "Laura", "Marta", "Elena", "Alba"],
    male: ["Hugo", "Pablo", "Daniel", "Alejandro", "Javier", "Carlos", "Diego", "Sergio", "Mario"],
    last: ["García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez"],
  },
  it: {
    female: ["Giulia", "Sofia", "Aurora", "Francesca", "Chiara", "Martina", "Elena", "Sara"],
    male: ["Leonardo", "Francesco", "Alessandro", "Lorenzo", "Matteo", "Marco", "Luca", "Andrea"],
    last: ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"],
  },
  nl: {
    female: ["Emma", "Julia", "Tess", "Sanne", "Fleur", "Lotte", "Anouk", "Eva"],
    male: ["Daan", "Sem", "Lucas", "Bram", "Thijs", "Ruben", "Joris", "Milan"],
    last: ["de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer"],
  },
  nordic: {
    female: ["Alice", "Maja", "Ella", "Nora", "Ingrid", "Astrid", "Sofie", "Linnea"],
    male: ["Erik", "Lars", "Oskar", "William", "Magnus", "Henrik", "Johan", "Anders"],
    last: ["Andersson", "Johansson", "Karlsson", "Nilsson", "Hansen", "Olsen", "Larsen", "Berg"],
  },
  ja: {
    female: ["Yui", "Aoi", "Hina", "Sakura", "Yuna", "Mei", "Rin", "Akari"],
    male: ["Haruto", "Ren", "Sota", "Yuto", "Riku", "Kaito", "Hiroshi", "Takumi"],
    last: ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura"],
  },
  ar: {
    female: ["Fatima", "Mariam", "Noor", "Layla", "Aisha", "Sara"],
    male: ["Omar", "Ahmed", "Khalid", "Yousef", "Hamad", "Rashid"],
    last: ["Al Maktoum", "Al Nuaimi", "Haddad", "Khoury", "Nasser", "Saleh"],
  },
};

const LANGUAGE: Readonly<Record<string, string>> = {
  US: "en",
  CA: "en",
  GB: "en",
  AU: "en",
  DE: "de",
  CH: "de",
  FR: "fr",
  ES: "es",
  IT: "it",
  NL: "nl",
  SE: "nordic",
  NO: "nordic",
  JP: "ja",
  AE: "ar",
};

/** International dialling prefixes for phone numbers. */
const DIAL: Readonly<Record<string, string>> = {
  US: "+1",
  CA: "+1",
  GB: "+44",
  AU: "+61",
  DE: "+49",
  CH: "+41",
  FR: "+33",
  ES: "+34",
  IT: "+39",
  NL: "+31",
  SE: "+46",
  NO: "+47",
  JP: "+81",
  AE: "+971",
};

/** The name pool of a country (English as fallback). */
export function namePool(country: string): NamePool {
  return NAMES[LANGUAGE[country] ?? "en"] ?? (NAMES.en as NamePool);
}

/** Dialling prefix of a country. */
export function dialPrefix(country: string): string {
  return DIAL[country] ?? "+1";
}

/**
 * Mobile numbers of each country: a real mobile range (for the US and Canada, area codes) followed by 7 digits
 * (the NANP's exchange and line), so that a phone library accepts them as valid numbers of their country and
 * exports and SMS campaigns on synthetic data behave as on real data (fictional all the same). `free` random digits
 * come between the range and the 7 digits where the country's numbers are longer.
 */
const MOBILE: Readonly<Record<string, { readonly start: readonly string[]; readonly free: number }>> = {
  US: { start: ["212", "213", "312", "415", "617", "202", "305", "404", "206", "512"], free: 0 },
  CA: { start: ["416", "604", "514", "403", "613", "780", "902", "204", "306", "647"], free: 0 },
  GB: { start: ["740"], free: 0 },
  AU: { start: ["41"], free: 0 },
  DE: { start: ["17"], free: 2 },
  CH: { start: ["79"], free: 0 },
  FR: { start: ["6"], free: 1 },
  ES: { start: ["6"], free: 1 },
  IT: { start: ["33"], free: 1 },
  NL: { start: ["6"], free: 1 },
  SE: { start: ["70"], free: 0 },
  NO: { start: ["4"], free: 0 },
  JP: { start: ["90"], free: 1 },
  AE: { start: ["50"], free: 0 },
};

/**
 * The mobile number of customer `index` in `country`, in E.164: the customer's index fills the last 7 digits (in the
 * US and Canada, the area code's choice too), so no two customers of a base under 10 million share a number
 * (identity resolution would merge them); random digits fill the rest (`randomDigits`: at least 3).
 */
export function mobileNumber(country: string, randomDigits: string, index: number): string {
  const m = MOBILE[country] ?? (MOBILE.US as (typeof MOBILE)[string]);
  const nanp = dialPrefix(country) === "+1";
  const line = String(index % 10_000_000).padStart(7, "0");
  if (nanp) {
    // An exchange cannot start with 0 or 1: the first of the 7 digits is a random 2-9 and the index's millions
    // choose the area code.
    const area = m.start[Math.floor(index / 1_000_000) % m.start.length] as string;
    return `${dialPrefix(country)}${area}${2 + (Number(randomDigits[0]) % 8)}${line.slice(1)}`;
  }
  return `${dialPrefix(country)}${m.start[0]}${randomDigits.slice(1, 1 + m.free)}${line}`;
}

/** Reserved example domains (RFC 2606 / 6761): synthetic addresses can never reach anybody. */
export const EMAIL_DOMAINS: readonly string[] = [
  "example.com",
  "example.org",
  "example.net",
  "mail.example",
  "inbox.example",
  "post.example",
];

const ASCII_FOLD: Readonly<Record<string, string>> = {
  ä: "ae",
  ö: "oe",
  ü: "ue",
  ß: "ss",
  é: "e",
  è: "e",
  ê: "e",
  É: "e",
  á: "a",
  í: "i",
  ó: "o",
  ú: "u",
  ñ: "n",
  ç: "c",
  ø: "o",
  å: "a",
};

/** Lower-case ASCII slug of a name for e-mail local parts ("van den Berg" → "vandenberg"). */
export function emailSlug(name: string): string {
  let out = "";
  for (const ch of name.toLowerCase()) {
    const folded = ASCII_FOLD[ch];
    if (folded !== undefined) out += folded;
    else if (ch >= "a" && ch <= "z") out += ch;
  }
  return out;
}
