/**
 * Send times per person (issue 18, item 4) on every engine, on a store built here with planted habits: people
 * active only around 21:00 get 21:00, people active around 10:00 get 10:00, people with one or two engagements off
 * their segment's pattern are pulled to it, people with none get their segment's best hour (or the base's for a
 * group with no history), a Saturday habit shows in a week-long window. The chosen times are also checked against
 * a reference implementation of the model in plain JavaScript over the raw events (send-times.ts's comment).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DAY_PSEUDO,
  GROUP_DAY_PSEUDO,
  GROUP_PSEUDO,
  HALF_LIFE_DAYS,
  PERSON_PSEUDO,
  withSendTimes,
} from "../src/activation/send-times.js";
import { UserError } from "../src/errors.js";
import { importFile } from "../src/ingest/import.js";
import { openSession } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import type { Session } from "../src/store/store.js";
import { TEST_ENGINES } from "./engines.js";
import { tempDir, writeFile } from "./helpers.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Monday 2024-06-03 08:00 UTC: the window's start. */
const START = new Date("2024-06-03T08:00:00Z");
/** Activity spans the eight weeks before it (from Sunday 2024-04-07). */
const FIRST_DAY = Date.parse("2024-04-07T00:00:00Z");

interface Person {
  id: string;
  habit: string;
  /** Event times (ms). */
  events: number[];
  /** Order times (ms). */
  orders: number[];
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `n` engagements at `hour`:30–`hour+1`:29 on days spread over the eight weeks (deterministic). */
function habitTimes(i: number, n: number, hour: number): number[] {
  return Array.from({ length: n }, (_, j) => {
    const day = (i * 7 + j * 5) % 56;
    const minute = 30 + ((i * 13 + j * 17) % 60);
    return FIRST_DAY + day * DAY + hour * HOUR + minute * 60_000;
  });
}

function planted(): Person[] {
  const people: Person[] = [];
  for (let i = 1; i <= 30; i++)
    people.push({ id: `n${pad(i)}`, habit: "night", events: habitTimes(i, 12, 20), orders: [] });
  for (let i = 1; i <= 40; i++) {
    const t = habitTimes(i, 12, 9);
    // Some buy too: an order at the time of their last visit (the same engaged hour) and one of its own.
    people.push({ id: `m${pad(i)}`, habit: "morning", events: t, orders: i <= 10 ? [t[0] as number] : [] });
  }
  // Night-segment people with one or two engagements at 10:00 (Wednesday; Monday and Thursday).
  people.push({ id: "f01", habit: "night", events: [Date.parse("2024-05-15T10:00:00Z")], orders: [] });
  people.push({
    id: "f02",
    habit: "night",
    events: [Date.parse("2024-05-20T10:05:00Z")],
    orders: [Date.parse("2024-05-23T09:50:00Z")],
  });
  // A night-segment person with a strong morning habit of their own.
  people.push({ id: "s01", habit: "night", events: habitTimes(99, 12, 9), orders: [] });
  // Night-segment people with no history.
  for (const id of ["z01", "z02", "z03"]) people.push({ id, habit: "night", events: [], orders: [] });
  // Someone active on Saturdays only, 20:30–21:29.
  people.push({
    id: "sat",
    habit: "weekend",
    events: Array.from({ length: 8 }, (_, w) => Date.parse("2024-04-13T20:45:00Z") + w * 7 * DAY),
    orders: [],
  });
  // No segment, no history.
  for (const id of ["q01", "q02"]) people.push({ id, habit: "none", events: [], orders: [] });
  return people;
}

/** Outbound messages (not engagement) at 03:00 for the night people: they must not move anyone to 03:00. */
function outbound(people: Person[]): string[] {
  return people
    .filter((p) => p.habit === "night")
    .flatMap((p) =>
      Array.from({ length: 20 }, (_, j) => {
        const at = new Date(FIRST_DAY + j * 2 * DAY + 3 * HOUR).toISOString();
        return `${at},track,Email Sent,${p.id}`;
      }),
    );
}

async function load(engine: Session, people: Person[]): Promise<void> {
  const dir = tempDir();
  const customers = `customer_id,habit\n${people.map((p) => `${p.id},${p.habit}`).join("\n")}\n`;
  const events = [
    "timestamp,type,event,customer_id",
    ...people.flatMap((p) =>
      p.events.map(
        (t, j) => `${new Date(t).toISOString()},${j % 2 ? "page" : "track"},Product Viewed,${p.id}`,
      ),
    ),
    ...outbound(people),
  ];
  const orders = [
    "order_id,customer_id,timestamp,total",
    ...people.flatMap((p) => p.orders.map((t, j) => `${p.id}-o${j},${p.id},${new Date(t).toISOString()},10`)),
  ];
  const now = new Date("2024-06-10T00:00:00Z");
  await importFile(engine, { kind: "customers", path: writeFile(dir, "c.csv", customers), now });
  await importFile(engine, { kind: "events", path: writeFile(dir, "e.csv", `${events.join("\n")}\n`), now });
  await importFile(engine, { kind: "orders", path: writeFile(dir, "o.csv", `${orders.join("\n")}\n`), now });
}

/**
 * The model in plain JavaScript (send-times.ts): distinct nearest engaged hours per person, weighted by recency
 * from the last activity; hour-of-day and day-given-hour Dirichlet means, person → group → base (add-one).
 */
function reference(all: Person[], group: Person[], start: Date, windowHours: number): Map<string, number> {
  const lastActivity = Math.max(
    ...all.flatMap((p) => [...p.events, ...p.orders]),
    ...outbound(all).map((l) => Date.parse(l.split(",")[0] as string)),
  );
  const refHour = Math.round(lastActivity / HOUR);
  const counts = (p: Person): number[] => {
    const c = new Array(168).fill(0);
    const hours = new Set([...p.events, ...p.orders].map((t) => Math.floor((t / 1000 + 1800) / 3600)));
    for (const h of hours) c[(h + 72) % 168] += 2 ** ((h - refHour) / (HALF_LIFE_DAYS * 24));
    return c;
  };
  const sum = (cs: number[][]) =>
    cs.reduce((a, c) => a.map((x, i) => x + (c[i] as number)), new Array(168).fill(0));
  const hod = (c: number[]) =>
    Array.from({ length: 24 }, (_, h) =>
      [0, 1, 2, 3, 4, 5, 6].reduce((a, d) => a + (c[d * 24 + h] as number), 0),
    );
  type P = { q: number[]; r: number[] };
  const post = (c: number[], prior: P | null, a: number, g: number): P => {
    const o = hod(c);
    const n = o.reduce((x, y) => x + y, 0);
    return {
      q: o.map((x, h) => (prior ? (x + a * (prior.q[h] as number)) / (n + a) : (x + 1) / (n + 24))),
      r: c.map((x, b) =>
        prior
          ? (x + g * (prior.r[b] as number)) / ((o[b % 24] as number) + g)
          : (x + 1) / ((o[b % 24] as number) + 7),
      ),
    };
  };
  const base = post(sum(all.map(counts)), null, 0, 0);
  const grp = post(sum(group.map(counts)), base, GROUP_PSEUDO, GROUP_DAY_PSEUDO);
  const slots: number[] = [];
  for (let t = Math.ceil(start.getTime() / HOUR) * HOUR; t < start.getTime() + windowHours * HOUR; t += HOUR)
    slots.push(t);
  const out = new Map<string, number>();
  for (const p of group) {
    const me = post(counts(p), grp, PERSON_PSEUDO, DAY_PSEUDO);
    let best = 0;
    let bestScore = -1;
    for (const t of slots) {
      const b = (Math.round(t / HOUR) + 72) % 168;
      const s = (me.q[b % 24] as number) * (me.r[b] as number);
      if (s > bestScore + 1e-12) {
        bestScore = s;
        best = t;
      }
    }
    out.set(p.id, best);
  }
  return out;
}

let engine: Session;

describe.each(TEST_ENGINES)("send times on $name", ({ location }) => {
  beforeEach(async () => {
    engine = await openSession(location());
  });
  afterEach(() => engine.close());

  async function times(where: string, start = START, windowHours = 24): Promise<Map<string, string>> {
    return withSendTimes(
      engine,
      sql`SELECT customer_id FROM customers WHERE habit IN (${sql.join(where.split(","))})`,
      { start, windowHours },
      async (t) => {
        const r = await engine.query(sql`SELECT customer_id, send_at FROM (${t}) x ORDER BY customer_id`);
        const at = r.column("send_at") as Date[];
        return new Map(
          (r.column("customer_id") as string[]).map((id, i) => [id, (at[i] as Date).toISOString()]),
        );
      },
    );
  }

  it("learns planted habits, pulls thin histories to the segment's pattern, gives the rest its best hour", async () => {
    const people = planted();
    await load(engine, people);

    const night = await times("night");
    expect(night.size).toBe(30 + 2 + 1 + 3);
    // People active only around 21:00 get Monday 21:00 in the 24 h window from Monday 08:00.
    for (let i = 1; i <= 30; i++) expect(night.get(`n${pad(i)}`)).toBe("2024-06-03T21:00:00.000Z");
    // One or two engagements at 10:00: their own data alone would say 10:00; shrunk to the segment's 21:00.
    expect(night.get("f01")).toBe("2024-06-03T21:00:00.000Z");
    expect(night.get("f02")).toBe("2024-06-03T21:00:00.000Z");
    // Twelve engagements at 10:00 outweigh the segment's pattern.
    expect(night.get("s01")).toBe("2024-06-03T10:00:00.000Z");
    // No history: the segment's best hour.
    for (const id of ["z01", "z02", "z03"]) expect(night.get(id)).toBe("2024-06-03T21:00:00.000Z");

    const morning = await times("morning");
    for (let i = 1; i <= 40; i++) expect(morning.get(`m${pad(i)}`)).toBe("2024-06-03T10:00:00.000Z");

    // A group with no history of its own: the base's pattern (more morning than night engagement): 10:00.
    const none = await times("none");
    expect([...none.values()]).toEqual(["2024-06-03T10:00:00.000Z", "2024-06-03T10:00:00.000Z"]);

    // A week-long window: the Saturday habit shows (Saturday 2024-06-08 21:00); a window starting at 22:00 on
    // Monday, one day long, reaches the night people on Tuesday at 21:00.
    const week = await times("weekend", START, 168);
    expect(week.get("sat")).toBe("2024-06-08T21:00:00.000Z");
    const late = await times("night", new Date("2024-06-03T22:00:00Z"), 24);
    expect(late.get("n01")).toBe("2024-06-04T21:00:00.000Z");
    // A window that misses the habit (08:00–12:00): the best hour inside it, never one outside.
    const short = await times("night", START, 4);
    for (const t of short.values()) expect(Date.parse(t)).toBeGreaterThanOrEqual(START.getTime());
    for (const t of short.values()) expect(Date.parse(t)).toBeLessThan(START.getTime() + 4 * HOUR);
    // Start between hours: the first whole hour inside the window.
    const between = await times("none", new Date("2024-06-03T08:15:00Z"), 1);
    expect([...between.values()]).toEqual(["2024-06-03T09:00:00.000Z", "2024-06-03T09:00:00.000Z"]);

    // Every choice, against the reference implementation.
    for (const [habits, start, hours] of [
      ["night", START, 24],
      ["morning,night", START, 24],
      ["night,weekend,none", new Date("2024-06-05T13:00:00Z"), 100],
    ] as const) {
      const group = people.filter((p) => habits.split(",").includes(p.habit));
      const expected = reference(people, group, start, hours);
      const got = await times(habits, start, hours);
      for (const p of group)
        expect([p.id, got.get(p.id)]).toEqual([p.id, new Date(expected.get(p.id) as number).toISOString()]);
    }
  });

  it("refuses a window under an hour or over a week, and leaves no temporary table behind", async () => {
    await load(engine, planted().slice(0, 5));
    for (const hours of [0.5, 0, -3, 169, Number.NaN]) {
      const e = await times("night", START, hours).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(UserError);
      expect((e as UserError).reason).toMatch(/a send window is 1 to 168 hours/);
    }
    // After a failure inside the callback, the temporary tables are gone: a second run works.
    const boom = await withSendTimes(
      engine,
      sql`SELECT customer_id FROM customers`,
      { start: START, windowHours: 2 },
      () => Promise.reject(new Error("boom")),
    ).catch((x: unknown) => x);
    expect((boom as Error).message).toBe("boom");
    expect((await times("night", START, 2)).size).toBe(5);
  });
});
