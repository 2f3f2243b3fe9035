import { z } from "zod";
import { didYouMean } from "../common/did-you-mean.js";
import { UserError } from "../errors.js";
import {
  type ConsentedPeople,
  type ConsentedRelation,
  consentedPeople,
  type Use,
  UseSchema,
  withConsentedPeople,
} from "../privacy/consent-gate.js";
import { type Condition, SEGMENT_ID } from "../segments/definition.js";
import { listSegments, requireEvaluated } from "../segments/segment-store.js";
import { currentMembersSql } from "../segments/stays.js";
import { parseCondition } from "../segments/text/parse.js";
import { printCondition } from "../segments/text/print.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { type SavedTable, savedRow, savedRows } from "./saved-definitions.js";

/**
 * Audiences (issue 18, item 1): a segment, or a boolean combination of segments (`all`, `any`, `not` over
 * `{"segment": id}`, the segment language's own shapes), for a purpose on a channel. Its members are computed
 * when asked — the current members of its segments at the last refresh, through the consent gate for its purpose
 * and channel — never stored, so whoever withdrew consent is in no export, delivery or send made after.
 */

/** The part of the segment language an audience combines: segment references under all, any and not. */
export type AudienceSegments =
  | { segment: string }
  | { all: AudienceSegments[] }
  | { any: AudienceSegments[] }
  | { not: AudienceSegments };

/** At most this many segments and combinations in one audience: a combination, not a segment definition. */
const MAX_NODES = 100;

// An object (so that the API's schema says so), checked by hand: a union of recursive shapes would answer a mistake
// with every alternative, where this names the one the user meant.
export const AudienceSegmentsSchema = z
  .looseObject({})
  .superRefine((value, ctx) => {
    let nodes = 0;
    const check = (v: unknown, path: (string | number)[]): void => {
      if (++nodes > MAX_NODES) {
        ctx.addIssue({ code: "custom", message: `at most ${MAX_NODES} segments and combinations`, path });
        return;
      }
      if (typeof v !== "object" || v === null || Array.isArray(v)) {
        ctx.addIssue({
          code: "custom",
          message: 'expected {"segment": id}, {"all": […]}, {"any": […]} or {"not": …}',
          path,
        });
        return;
      }
      const keys = Object.keys(v);
      const o = v as Record<string, unknown>;
      if (!keys.some((k) => ["segment", "all", "any", "not"].includes(k)) && keys.length > 0) {
        ctx.addIssue({
          code: "custom",
          message: `an audience combines segments only: "${keys[0]}" is a segment condition (define a segment with it)`,
          path,
        });
        return;
      }
      if (keys.length !== 1) {
        ctx.addIssue({
          code: "custom",
          message: `expected one key (segment, all, any or not), got ${keys.join(", ") || "none"}`,
          path,
        });
        return;
      }
      if ("segment" in o) {
        if (typeof o.segment !== "string" || !SEGMENT_ID.test(o.segment))
          ctx.addIssue({ code: "custom", message: "a segment id", path: [...path, "segment"] });
      } else if ("all" in o || "any" in o) {
        const key = "all" in o ? "all" : "any";
        const list = o[key];
        if (!Array.isArray(list) || list.length === 0)
          ctx.addIssue({ code: "custom", message: "a non-empty list", path: [...path, key] });
        else for (const [i, x] of list.entries()) check(x, [...path, key, i]);
      } else check(o.not, [...path, "not"]);
    };
    check(value, []);
  })
  .transform((v) => v as unknown as AudienceSegments);

/**
 * Reads `--segment`'s text: a segment id (`vip`), or a combination in the segment language's text form
 * (`segment("vip") and not segment("churned")`). `where` names the option or field in errors.
 */
export function parseAudienceSegments(text: string, where = "--segment"): AudienceSegments {
  const t = text.trim();
  if (SEGMENT_ID.test(t)) return { segment: t };
  let c: Condition;
  try {
    c = parseCondition(t);
  } catch (e) {
    if (e instanceof UserError) throw new UserError("bad-input", e.reason, where);
    throw e;
  }
  const checked = AudienceSegmentsSchema.safeParse(c);
  if (!checked.success)
    throw new UserError("bad-input", checked.error.issues[0]?.message ?? "invalid", where);
  return checked.data;
}

/** An audience's combination as the segment language's text (`segment("vip") and not segment("churned")`). */
export function audienceSegmentsText(s: AudienceSegments): string {
  return printCondition(s as Condition);
}

/** The segments an audience names, each once, in the order written. */
export function segmentsOf(s: AudienceSegments): string[] {
  const out: string[] = [];
  const walk = (x: AudienceSegments): void => {
    if ("segment" in x) {
      if (!out.includes(x.segment)) out.push(x.segment);
    } else if ("all" in x) for (const y of x.all) walk(y);
    else if ("any" in x) for (const y of x.any) walk(y);
    else walk(x.not);
  };
  walk(s);
  return out;
}

export const AUDIENCE_ID = SEGMENT_ID;

export const AudienceSchema = z.strictObject({
  id: z
    .string()
    .regex(AUDIENCE_ID, "lower-case letters, digits, - and _ (at most 64), starting with a letter or digit"),
  name: z
    .string()
    .min(1)
    .max(200, "at most 200 characters")
    .refine((n) => !/\p{Cc}/u.test(n), "must not hold control characters")
    .optional(),
  description: z.string().max(2000, "at most 2,000 characters").optional(),
  /** The segments: a combination (JSON), or its text — a segment id, or `segment("a") and not segment("b")`. */
  segments: z.union([z.string(), AudienceSegmentsSchema]).transform((v, ctx) => {
    if (typeof v !== "string") return v;
    try {
      return parseAudienceSegments(v, "segments");
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      ctx.addIssue({ code: "custom", message: e.reason });
      return z.NEVER;
    }
  }),
  ...UseSchema.shape,
});
export type AudienceDefinition = z.output<typeof AudienceSchema>;

/** A saved audience. */
export interface Audience {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly segments: AudienceSegments;
  /** The combination as text. */
  readonly where: string;
  readonly purpose: string;
  readonly channel: string;
  readonly createdAt: string;
  readonly createdBy: string;
}

/** Saves a new audience; its segments must exist. An id in use is refused (remove it first). */
export async function saveAudience(engine: Engine, def: AudienceDefinition, who: string): Promise<Audience> {
  const known = (await listSegments(engine)).map((s) => s.id);
  for (const id of segmentsOf(def.segments))
    if (!known.includes(id))
      throw new UserError("unknown-segment", `no segment "${id}"${didYouMean(id, known)}`, "segments");
  const existing = await engine.query(sql`SELECT audience_id FROM audiences WHERE audience_id = ${def.id}`);
  if (existing.rowCount)
    throw new UserError(
      "duplicate-audience",
      `audience "${def.id}" exists (remove it first to redefine it)`,
      "id",
    );
  const d = engine.dialect;
  await engine.run(
    sql`INSERT INTO audiences (audience_id, name, description, segments, purpose, channel, created_at, created_by)
        VALUES (${def.id}, ${def.name ?? def.id}, ${sql.param(def.description ?? null, "string")},
                ${JSON.stringify(def.segments)}, ${def.purpose}, ${def.channel}, ${d.now()}, ${who})`,
  );
  return audienceNamed(engine, def.id);
}

function audienceOf(r: Record<string, unknown>): Audience {
  const segments = (typeof r.segments === "string" ? JSON.parse(r.segments) : r.segments) as AudienceSegments;
  const at = r.created_at instanceof Date ? r.created_at : new Date(String(r.created_at));
  return {
    id: r.audience_id as string,
    name: r.name as string,
    description: (r.description as string | null) || null,
    segments,
    where: audienceSegmentsText(segments),
    purpose: r.purpose as string,
    channel: r.channel as string,
    createdAt: at.toISOString(),
    createdBy: r.created_by as string,
  };
}

const AUDIENCE_COLUMNS = sql`audience_id, name, description, segments, purpose, channel, created_at, created_by`;

const SAVED: SavedTable = {
  table: "audiences",
  key: "audience_id",
  columns: AUDIENCE_COLUMNS,
  noun: "audience",
};

/** Every saved audience, by id. */
export async function listAudiences(engine: Engine): Promise<Audience[]> {
  return (await savedRows(engine, SAVED)).map(audienceOf);
}

/** A saved audience; an unknown id is refused with the nearest one suggested. */
export async function audienceNamed(engine: Engine, id: string, where = "audience"): Promise<Audience> {
  return audienceOf(await savedRow(engine, SAVED, id, where));
}

/**
 * Removes an audience; refused while a destination receives it or a campaign sends to it (remove those first:
 * their records name it).
 */
export async function removeAudience(engine: Engine, id: string): Promise<void> {
  await audienceNamed(engine, id);
  const users = await engine.query(
    sql`SELECT 'destination ' || destination_id AS what FROM destination_audiences WHERE audience_id = ${id}
        UNION ALL SELECT 'campaign ' || campaign_id AS what FROM campaigns WHERE audience_id = ${id}`,
  );
  const what = (users.column("what") as string[]).sort();
  if (what.length)
    throw new UserError(
      "audience-in-use",
      `audience "${id}" is used by ${what.join(", ")}: remove them first`,
      "id",
    );
  await engine.run(engine.dialect.deleteWhere("audiences", sql`audience_id = ${id}`));
}

/** SQL selecting the customer ids of an audience's segments now (open stays), before the consent gate. */
export function audienceCandidatesSql(s: AudienceSegments): Sql {
  const holds = (x: AudienceSegments): Sql => {
    if ("segment" in x) return sql`c.customer_id IN (${currentMembersSql(x.segment)})`;
    if ("all" in x) return sql`(${sql.join(x.all.map(holds), sql` AND `)})`;
    if ("any" in x) return sql`(${sql.join(x.any.map(holds), sql` OR `)})`;
    return sql`NOT (${holds(x.not)})`;
  };
  // A single segment needs no scan of customers: its open stays are the candidates.
  if ("segment" in s) return currentMembersSql(s.segment);
  return sql`SELECT c.customer_id AS customer_id FROM customers c WHERE ${holds(s)}`;
}

/** The use an audience is for: its purpose and channel, as the consent gate takes them. */
export function useOfAudience(a: Audience): Use {
  return UseSchema.parse({ purpose: a.purpose, channel: a.channel });
}

/**
 * Runs `work` over an audience's people now: the current members of its segments (each evaluated by the last
 * refresh since it was saved, else refused) who pass the consent gate for its purpose and channel.
 */
export async function withAudiencePeople<T>(
  engine: Engine,
  audience: Audience,
  work: (people: ConsentedRelation) => Promise<T>,
): Promise<T> {
  await requireEvaluated(engine, segmentsOf(audience.segments), `audience ${audience.id}`);
  return withConsentedPeople(engine, audienceCandidatesSql(audience.segments), useOfAudience(audience), work);
}

/** An audience's people now (`withAudiencePeople`), their ids read in id order (at most `limit`). */
export async function audienceMembers(
  engine: Engine,
  audience: Audience,
  opts: { limit?: number } = {},
): Promise<ConsentedPeople> {
  await requireEvaluated(engine, segmentsOf(audience.segments), `audience ${audience.id}`);
  return consentedPeople(engine, audienceCandidatesSql(audience.segments), useOfAudience(audience), opts);
}

/** Refuses to remove a segment an audience combines (`segment-in-use`, naming the audiences). */
export async function refuseIfAudiencesUse(engine: Engine, segment: string): Promise<void> {
  const users = (await listAudiences(engine))
    .filter((a) => segmentsOf(a.segments).includes(segment))
    .map((a) => a.id);
  if (users.length)
    throw new UserError(
      "segment-in-use",
      `segment "${segment}" is used by audience${users.length > 1 ? "s" : ""} ${users.join(", ")}: remove ${users.length > 1 ? "them" : "it"} first`,
      "id",
    );
}
