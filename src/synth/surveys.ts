/**
 * Psychographic survey responses. Not everybody answers, and answerers skip some questions;
 * answers follow the persona's distributions (planted-personas.ts), so interests, values, lifestyle and
 * price sensitivity carry the persona signal the way real survey data would: noisily.
 */
import type { BufferedWriter } from "./csv-writer.js";
import { draw, type Profile } from "./population.js";
import type { Random } from "./random.js";
import { SECONDS_PER_WEEK, type TimestampFormatter } from "./timestamps.js";

/** The surveys and their questions (question ids are the persona survey keys). */
export const SURVEYS: readonly {
  readonly name: string;
  readonly questions: readonly string[];
  readonly reach: number;
}[] = [
  { name: "lifestyle-2025", questions: ["interests", "values", "lifestyle"], reach: 1 },
  { name: "pricing-pulse-2026", questions: ["price_sensitivity", "brand_loyalty"], reach: 0.8 },
];

/** Writes a customer's survey answers (if any); returns the number of rows. */
export function writeSurveys(
  rng: Random,
  profile: Profile,
  signup: number,
  periodEnd: number,
  out: BufferedWriter,
  fmt: TimestampFormatter,
): number {
  const rate = profile.persona.def.surveyRate;
  let rows = 0;
  let text = "";
  for (const survey of SURVEYS) {
    if (!rng.chance(rate * survey.reach)) continue;
    const at = Math.floor(signup + rng.exponential(1 / 6) * SECONDS_PER_WEEK);
    if (at >= periodEnd) continue;
    const ts = fmt.iso(at);
    for (const question of survey.questions) {
      if (rng.chance(0.05)) continue;
      const answers = profile.persona.survey[question];
      if (answers === undefined) continue;
      text += `${profile.id},${survey.name},${question},${draw(rng, answers)},${ts}\n`;
      rows++;
    }
  }
  if (rows > 0) out.write(text);
  return rows;
}
