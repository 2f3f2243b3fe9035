import { z } from "zod";
import { audienceNamed } from "../activation/audiences.js";
import { checkHoldout, parseHoldout } from "../activation/holdout.js";
import { type SavedTable, savedRow, savedRows } from "../activation/saved-definitions.js";
import { didYouMean } from "../common/did-you-mean.js";
import { UserError } from "../errors.js";
import { SEGMENT_ID } from "../segments/definition.js";
import { listSegments } from "../segments/segment-store.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import {
  type BanditSettings,
  banditSettingsOf,
  DEFAULT_BANDIT_SETTINGS,
  parseInterval,
  parseMinShare,
} from "./bandit-settings.js";
import { parseMetrics } from "./metric-spec.js";
import { checkVariants, parseVariants, type Variant } from "./variants.js";

/**
 * Experiments (issue 20, item 1): who is in it (a segment's or an audience's members, or the people whose
 * exposure events a website sent), its variants and planned weights (the first the control), a holdout share, the
 * metrics it is read by, its seed (default: its id) and when it runs. Saved in `experiments` (migration 15);
 * assignment is assignment.ts (hash) and exposures.ts (events).
 */

/** An experiment's id: as a campaign's or a segment's. */
export const EXPERIMENT_ID = SEGMENT_ID;

/** The event a website sends when it shows a person a variant (Segment's and GrowthBook's convention). */
export const DEFAULT_EXPOSURE_EVENT = "Experiment Viewed";

/** Who an experiment is about. */
export type Population =
  | { readonly segment: string }
  | { readonly audience: string }
  | { readonly exposures: { readonly event: string } };

/** A saved experiment. */
export interface Experiment {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly population: Population;
  /** The variants, the first the control; weights are fractions adding up to 1. */
  readonly variants: readonly Variant[];
  /** The share held out of the experiment (variant `holdout`), 0 to < 1. */
  readonly holdout: number;
  /** The metric texts (src/experiments/metric-spec.ts). */
  readonly metrics: readonly string[];
  readonly seed: string;
  readonly start: string;
  readonly end: string | null;
  /** Stored status: `running` (created so); whether it runs now also depends on start and end (`phaseOf`). */
  readonly status: string;
  readonly bandit: BanditSettings | null;
  /** Per-variant cost (an amount per person in the variant), for acquisition cost and ROI. */
  readonly costs: Readonly<Record<string, number>>;
  readonly createdAt: string;
  readonly createdBy: string;
}

/** Runs a parser of text inside a zod transform: its UserError becomes the field's issue. */
function viaParser<T>(parse: (text: string, where: string) => T, field: string) {
  return (v: string, ctx: z.RefinementCtx): T => {
    try {
      return parse(v, field);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      ctx.addIssue({ code: "custom", message: e.reason });
      return z.NEVER;
    }
  };
}

const plainText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max, `at most ${max.toLocaleString("en-US")} characters`)
    .refine((n) => !/\p{Cc}/u.test(n), "must not hold control characters");

/** Reads a cost `VARIANT:AMOUNT` (an amount per person in the variant, ≥ 0). */
export function parseCost(text: string, where = "--cost"): [string, number] {
  const colon = text.lastIndexOf(":");
  const amount = colon < 0 ? "" : text.slice(colon + 1).trim();
  if (colon < 0 || !/^\d+(\.\d+)?$/.test(amount))
    throw new UserError(
      "bad-cost",
      `"${text}" is not a cost: write VARIANT:AMOUNT, the cost per person in the variant, e.g. offer-a:2.50`,
      where,
    );
  return [text.slice(0, colon).trim(), Number(amount)];
}

export const ExperimentSchema = z.strictObject({
  id: z
    .string()
    .regex(
      EXPERIMENT_ID,
      "lower-case letters, digits, - and _ (at most 64), starting with a letter or digit",
    ),
  name: plainText(200).optional(),
  description: z.string().max(2000, "at most 2,000 characters").optional(),
  /** Who is in it: one of a segment's current members, an audience's (before consent: nobody is contacted by an
   * assignment), or the people whose exposure events name the experiment (the event's name). */
  segment: z.string().min(1).optional(),
  audience: z.string().min(1).optional(),
  exposures: plainText(200).optional(),
  /** `control:50,offer-a:25,offer-b:25` or `[{name, weight}]` with weights in percent adding up to 100. */
  variants: z.union([
    z.string().transform(viaParser(parseVariants, "variants")),
    z
      .array(z.strictObject({ name: z.string(), weight: z.number() }))
      .transform((v, ctx) => viaParser((_: string, w) => checkVariants(v, w), "variants")("", ctx)),
  ]),
  /** A share held out of the experiment, as `5%` or a number from 0 up to (not including) 1. */
  holdout: z
    .union([
      z.string().transform(viaParser(parseHoldout, "holdout")),
      z.number().transform((n, ctx) => viaParser((_: string, w) => checkHoldout(n, w), "holdout")("", ctx)),
    ])
    .optional(),
  /** The metrics it is read by (`conversion:7d`, `revenue+cuped`, …). */
  metrics: z.array(z.string()).max(20, "at most 20 metrics").optional(),
  /** When it starts (default now) and ends (default: open). */
  start: z.union([z.date(), z.string()]).optional(),
  end: z.union([z.date(), z.string()]).optional(),
  /** The hash's seed (default: the id): two experiments with one seed split people alike. */
  seed: plainText(200).optional(),
  /** Per-variant costs: `["offer-a:2.5"]` or `{"offer-a": 2.5}` (per person in the variant). */
  costs: z
    .union([
      z.array(z.string().transform(viaParser(parseCost, "costs"))),
      z.record(z.string(), z.number()).transform((r) => Object.entries(r)),
    ])
    .optional(),
  /** A Thompson-sampling bandit over the variants instead of a fixed split. */
  bandit: z
    .union([
      z.boolean(),
      z.strictObject({
        minShare: z.union([z.string(), z.number()]).optional(),
        updateEvery: z.string().optional(),
        metric: z.string().min(1).optional(),
      }),
    ])
    .optional(),
});
export type ExperimentDefinition = z.output<typeof ExperimentSchema>;

/** A time given as a Date or ISO 8601 text, checked. */
function timeOf(v: Date | string, where: string): Date {
  const d =
    v instanceof Date ? v : new Date(/^\d{4}-\d{2}-\d{2}$/.test(v.trim()) ? `${v.trim()}T00:00:00Z` : v);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1 || d.getUTCFullYear() > 9999)
    throw new UserError("bad-time", `not an ISO 8601 date or time: "${String(v)}"`, where);
  return d;
}

/** Who the definition names, checked: exactly one of segment, audience and exposures, and it exists. */
async function populationOf(engine: Engine, def: ExperimentDefinition): Promise<Population> {
  const given = (["segment", "audience", "exposures"] as const).filter((k) => def[k] !== undefined);
  if (given.length !== 1)
    throw new UserError(
      "bad-population",
      given.length === 0
        ? "who is in the experiment: a segment, an audience, or exposures (the event a website sends)"
        : `one population per experiment: ${given.join(" and ")} both given`,
      given[1] ?? "segment",
    );
  if (def.segment !== undefined) {
    const known = (await listSegments(engine)).map((s) => s.id);
    if (!known.includes(def.segment))
      throw new UserError(
        "unknown-segment",
        `no segment "${def.segment}"${didYouMean(def.segment, known)}`,
        "segment",
      );
    return { segment: def.segment };
  }
  if (def.audience !== undefined)
    return { audience: (await audienceNamed(engine, def.audience, "audience")).id };
  return { exposures: { event: def.exposures as string } };
}

/** The bandit settings asked for, checked against the number of variants. */
function banditOf(def: ExperimentDefinition, arms: number, exposures: boolean): BanditSettings | null {
  if (def.bandit === undefined || def.bandit === false) return null;
  if (exposures)
    throw new UserError(
      "bad-input",
      "a bandit steers who gets which variant: with exposures the website decides, so it cannot be a bandit",
      "bandit",
    );
  const b = def.bandit === true ? {} : def.bandit;
  const minShare =
    b.minShare === undefined
      ? DEFAULT_BANDIT_SETTINGS.min_share
      : parseMinShare(b.minShare, "bandit.minShare", arms);
  if (minShare * arms > 1 + 1e-12)
    throw new UserError(
      "bad-min-share",
      `a minimum share of ${minShare} for each of ${arms} variants adds up to more than everyone: at most ${Math.floor(10000 / arms) / 100}%`,
      "bandit.minShare",
    );
  const every = b.updateEvery ?? DEFAULT_BANDIT_SETTINGS.update_every;
  parseInterval(every, "bandit.updateEvery");
  if (b.metric !== undefined && !(def.metrics ?? []).includes(b.metric))
    throw new UserError(
      "bad-input",
      `the bandit's metric "${b.metric}" is not one of the experiment's metrics`,
      "bandit.metric",
    );
  return {
    min_share: minShare,
    update_every: every.trim(),
    ...(b.metric !== undefined ? { metric: b.metric } : {}),
  };
}

/**
 * Saves a new experiment after checking who is in it, its variants, metrics, times, costs and bandit settings. An
 * id in use is refused (remove it first).
 */
export async function saveExperiment(
  engine: Engine,
  def: ExperimentDefinition,
  who: string,
): Promise<Experiment> {
  const population = await populationOf(engine, def);
  const exposures = "exposures" in population;
  const holdout = def.holdout ?? 0;
  if (exposures && holdout > 0)
    throw new UserError(
      "bad-input",
      "with exposures the website decides who sees what: hold people out there (as a variant of its own), not here",
      "holdout",
    );
  const metrics = def.metrics ?? [];
  parseMetrics(metrics, "metrics");
  const now = new Date();
  const start = def.start === undefined ? now : timeOf(def.start, "start");
  const end = def.end === undefined ? null : timeOf(def.end, "end");
  if (end !== null && end.getTime() <= start.getTime())
    throw new UserError(
      "bad-time",
      `the end (${end.toISOString()}) is not after the start (${start.toISOString()})`,
      "end",
    );
  const names = def.variants.map((v) => v.name);
  const costs: Record<string, number> = {};
  for (const [variant, amount] of def.costs ?? []) {
    if (!names.includes(variant))
      throw new UserError(
        "bad-cost",
        `no variant "${variant}" to give a cost to: the variants are ${names.join(", ")}`,
        "costs",
      );
    if (!Number.isFinite(amount) || amount < 0)
      throw new UserError(
        "bad-cost",
        `variant "${variant}": a cost is an amount of at least 0, got ${amount}`,
        "costs",
      );
    if (variant in costs) throw new UserError("bad-cost", `variant "${variant}" has two costs`, "costs");
    costs[variant] = amount;
  }
  const bandit = banditOf(def, def.variants.length, exposures);
  const taken = await engine.query(
    sql`SELECT experiment_id FROM experiments WHERE experiment_id = ${def.id}
        UNION ALL SELECT experiment_id FROM experiment_assignments WHERE experiment_id = ${def.id}`,
  );
  if (taken.rowCount)
    throw new UserError(
      "duplicate-experiment",
      `experiment "${def.id}" exists (remove it first to redefine it)`,
      "id",
    );
  const text = (v: string | null | undefined) => sql.param(v ?? null, "string");
  const time = (v: Date | null) => sql.param(v === null ? null : v.toISOString(), "timestamp");
  await engine.run(
    sql`INSERT INTO experiments (experiment_id, name, description, population, variants, holdout, metrics, seed,
                                 start_at, end_at, status, bandit, costs, created_at, created_by)
        VALUES (${def.id}, ${def.name ?? def.id}, ${text(def.description)}, ${JSON.stringify(population)},
                ${JSON.stringify(def.variants)}, ${sql.param(holdout, "number")}, ${JSON.stringify(metrics)},
                ${def.seed ?? def.id}, ${time(start)}, ${time(end)}, 'running',
                ${text(bandit === null ? null : JSON.stringify(bandit))}, ${JSON.stringify(costs)},
                ${engine.dialect.now()}, ${who})`,
  );
  return experimentNamed(engine, def.id);
}

const COLUMNS = sql`experiment_id, name, description, population, variants, holdout, metrics, seed, start_at, end_at,
  status, bandit, costs, created_at, created_by`;

const json = (v: unknown): unknown => (typeof v === "string" ? JSON.parse(v) : v);
const iso = (v: unknown): string | null =>
  v === null || v === undefined ? null : (v instanceof Date ? v : new Date(String(v))).toISOString();

function experimentOf(r: Record<string, unknown>): Experiment {
  return {
    id: r.experiment_id as string,
    name: r.name as string,
    description: (r.description as string | null) || null,
    population: json(r.population) as Population,
    variants: json(r.variants) as Variant[],
    holdout: Number(r.holdout ?? 0),
    metrics: (json(r.metrics) as string[] | null) ?? [],
    seed: r.seed as string,
    start: iso(r.start_at) as string,
    end: iso(r.end_at),
    status: r.status as string,
    bandit: banditSettingsOf(r.bandit === "" ? null : r.bandit),
    costs: (json(r.costs) as Record<string, number> | null) ?? {},
    createdAt: iso(r.created_at) as string,
    createdBy: r.created_by as string,
  };
}

const SAVED: SavedTable = {
  table: "experiments",
  key: "experiment_id",
  columns: COLUMNS,
  noun: "experiment",
};

/** Every saved experiment, by id. */
export async function listExperiments(engine: Engine): Promise<Experiment[]> {
  return (await savedRows(engine, SAVED)).map(experimentOf);
}

/** A saved experiment; an unknown id is refused with the nearest one suggested. */
export async function experimentNamed(engine: Engine, id: string, where = "id"): Promise<Experiment> {
  return experimentOf(await savedRow(engine, SAVED, id, where));
}

/**
 * Refuses to remove a segment or an audience that a scheduled or running experiment draws its people from (its
 * refreshes would silently stop assigning). An ended experiment keeps its assignments and needs it no more.
 */
export async function refuseIfExperimentsUse(
  engine: Engine,
  used: { readonly segment: string } | { readonly audience: string },
): Promise<void> {
  const [kind, id] =
    "segment" in used ? (["segment", used.segment] as const) : (["audience", used.audience] as const);
  const users = (await listExperiments(engine))
    .filter((e) => phaseOf(e) !== "ended" && (e.population as Record<string, unknown>)[kind] === id)
    .map((e) => e.id);
  if (users.length)
    throw new UserError(
      `${kind}-in-use`,
      `${kind} "${id}" is used by experiment${users.length > 1 ? "s" : ""} ${users.join(", ")}: end or remove ${users.length > 1 ? "them" : "it"} first`,
      "id",
    );
}

/** Where an experiment stands at `at`: before its start, between start and end, or after its end. */
export type Phase = "scheduled" | "running" | "ended";

export function phaseOf(e: Pick<Experiment, "start" | "end" | "status">, at = new Date()): Phase {
  if (e.status !== "running") return "ended";
  if (at.getTime() < Date.parse(e.start)) return "scheduled";
  if (e.end !== null && at.getTime() >= Date.parse(e.end)) return "ended";
  return "running";
}

/** What removing an experiment deletes. */
export interface Removal {
  readonly removed: string;
  readonly assignments: number;
  readonly allocations: number;
}

/**
 * Removes an experiment with its assignments and bandit allocations. An experiment that has assigned people is
 * removed only with `force`: who was in which variant (and so every analysis of it) is lost.
 */
export async function removeExperiment(engine: Engine, id: string, force: boolean): Promise<Removal> {
  await experimentNamed(engine, id);
  // A campaign treating one of its variants would silently send to nobody: it goes first, even with force.
  const treating = (
    await engine.query(
      sql`SELECT campaign_id FROM campaigns WHERE experiment_id = ${id} ORDER BY campaign_id`,
    )
  ).column("campaign_id") as string[];
  if (treating.length)
    throw new UserError(
      "experiment-in-use",
      `experiment "${id}" is treated by campaign${treating.length > 1 ? "s" : ""} ${treating.join(", ")}: remove ${treating.length > 1 ? "them" : "it"} first`,
      "id",
    );
  const counts = await engine.query(
    sql`SELECT (SELECT count(*) FROM experiment_assignments WHERE experiment_id = ${id}) AS assignments,
               (SELECT count(*) FROM experiment_allocations WHERE experiment_id = ${id}) AS allocations`,
  );
  const assignments = Number(counts.column("assignments")[0] ?? 0);
  const allocations = Number(counts.column("allocations")[0] ?? 0);
  if (assignments > 0 && !force)
    throw new UserError(
      "experiment-has-assignments",
      `experiment "${id}" has assigned ${assignments.toLocaleString("en-US")} ${assignments === 1 ? "person" : "people"}${allocations ? ` and holds ${allocations} bandit allocation${allocations === 1 ? "" : "s"}` : ""}: removing it deletes who was in which variant, so it can never be analysed again; add --force to remove it`,
      "id",
    );
  const d = engine.dialect;
  await engine.transaction(async () => {
    await engine.run(d.deleteWhere("experiment_assignments", sql`experiment_id = ${id}`));
    await engine.run(d.deleteWhere("experiment_allocations", sql`experiment_id = ${id}`));
    await engine.run(d.deleteWhere("experiments", sql`experiment_id = ${id}`));
  });
  return { removed: id, assignments, allocations };
}
