/**
 * Bad input at every REST endpoint (issue 16, item 7). The sweep walks the route table itself — a route added
 * later is swept the day it is added — and sends each route malformed JSON, a wrong content type, an oversize
 * body, a body that is not an object or not UTF-8, its required fields missing, each field mistyped, hostile
 * strings (SQL, a megabyte, NUL, lone surrogates), absurd numbers and timestamps, and unknown ids in its path.
 * Every answer must be a 4xx with the error body `{"error": {"code", "message", "path"}}` (`path` naming the field
 * at fault), never a 500; a write route's refusal leaves the store as it was; and the server keeps serving.
 * Hostile strings and absurd numbers in a field that takes any text or number (a segment's name, a seed) may be
 * accepted: they must then be taken as they are, harming nothing. A request the operation cannot reach with the
 * store it has (no model fitted) would check nothing, so the store holds a segment, a clustering and a CLV model.
 */

import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { openForServing, type Store } from "../src/operations/index.js";
import { buildServer } from "../src/server/app.js";
import { Authenticator } from "../src/server/authenticator.js";
import { RateLimiter } from "../src/server/rate-limit.js";
import { pathParams, ROUTES, type Route, takesQuery } from "../src/server/routes.js";
import type { Engine } from "../src/store/engine.js";
import { sql } from "../src/store/sql.js";
import { apiKey, runCli, tempDir, writeFile } from "./helpers.js";

type JsonSchema = {
  type?: string | string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
};

/**
 * Every table's row count and the sum of its rows' hashes, in one query: equal before and after only if nothing
 * changed (but by a collision). The sweep compares the store hundreds of times; `snapshot` (test/helpers.ts), which
 * reads every row, took 100–300 ms each. DuckDB's SQL (a table's alias is its row): tests may use it.
 */
async function fingerprint(engine: Engine): Promise<string> {
  const tables = await engine.tables();
  const each = tables.map(
    (t) => sql`SELECT ${t} AS t, count(*) AS n, CAST(sum(hash(r)) AS VARCHAR) AS h FROM ${sql.ident(t)} r`,
  );
  const r = await engine.query(sql`SELECT * FROM (${sql.join(each, " UNION ALL ")}) ORDER BY t`);
  return JSON.stringify(r.rows(), (_k, v) => (typeof v === "bigint" ? String(v) : v));
}

/** What a field of an input takes, as far as the sweep needs to know (from the operation's own JSON Schema). */
type FieldKind = "string" | "number" | "integer" | "boolean" | "array" | "object" | "time" | "other";

function kindOf(s: JsonSchema): FieldKind {
  const branches = s.anyOf ?? s.oneOf;
  // isoTime: a Date (not representable: any) or ISO 8601 text.
  if (branches?.some((b) => b.type === "string") && branches.some((b) => b.type === undefined)) return "time";
  if (
    typeof s.type === "string" &&
    ["string", "number", "integer", "boolean", "array", "object"].includes(s.type)
  )
    return s.type as FieldKind;
  return "other";
}

/** A route's input fields that the request gives (not its path's), each with its kind. */
function fieldsOf(route: Route): { fields: [string, FieldKind][]; required: string[] } {
  const schema = z.toJSONSchema(route.op.input, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const inPath = new Set([...pathParams(route.path), ...(route.upload ? ["files"] : [])]);
  const fields = Object.entries(schema.properties ?? {})
    .filter(([name]) => !inPath.has(name))
    .map(([name, s]): [string, FieldKind] => [name, kindOf(s)]);
  return { fields, required: (schema.required ?? []).filter((r) => !inPath.has(r)) };
}

/** Values of the wrong type for a field of each kind. */
const MISTYPED: Record<FieldKind, unknown[]> = {
  string: [12, true, ["x"], { x: 1 }],
  number: ["12", true, [1], { x: 1 }],
  integer: ["12", 1.5, [1], { x: 1 }],
  boolean: ["yes", 1, [true]],
  array: ["x", 1, { x: 1 }],
  object: ["x", 1, [1]],
  time: [12, true, ["2024-01-01"], { x: 1 }],
  other: [],
};

/** Text meant to break something: SQL, a megabyte, NUL, a lone surrogate, control and right-to-left marks. */
const HOSTILE_TEXT = [
  "'; DROP TABLE customers; --",
  "x".repeat(1_000_000),
  "a\u0000b",
  "\ud800",
  "\u202e\u0007\r\n",
];

/** Numbers no field should take as they are. */
const ABSURD_NUMBERS: unknown[] = [1e308, -1e308, -0, "NaN", "Infinity", 2 ** 53 + 1, -1];

/** Times no operation can work at, or that are no time at all. */
const ABSURD_TIMES = [
  "99999-01-01",
  "+099999-01-01T00:00:00Z",
  "2024-13-45",
  "0000-00-00",
  "-000001-01-01",
  "now",
];

/** Values of the right type for a route's required fields. */
const PLAIN: Record<string, unknown> = {
  definition: { id: "probe", name: "Probe", where: { trait: "plan", eq: "pro" } },
  rows: [],
  source: "sweep",
  saveAs: "sweep",
  calibrationEnd: "2024-03-01",
  // The time an evaluation is cut at (recommend, churn, propensity), where it is required.
  asOf: "2024-03-01",
  // A use (the consent gate), a consent record, a suppression.
  purpose: "marketing",
  channel: "email",
  status: "granted",
  reason: "unsubscribed",
};

/**
 * What some operations need besides their required fields to reach their checks (a route added later is swept
 * with its required fields filled; give it a line here if it needs more).
 */
const BASE: Record<string, Record<string, unknown>> = {
  "segment.overlap": { ids: ["pro"] },
  "segment.mece": { ids: ["pro"] },
  "segment.mece.exclusive": { ids: ["pro"] },
  personas: { segment: "pro" },
  "traits.set": { pii: true },
  "privacy.retention.set": { period: "400d" },
  // A total and a grouping that pass (the store's segment "pro"), so that each field's own check is reached.
  "budget.plan": { total: 100, by: "segment" },
  // Two arms of summary statistics that pass (a stats file), so that each field's own check is reached.
  "experiment.stats": {
    metric: "mean",
    arms: [
      { name: "control", n: 100, sum: 50, sum_squares: 60 },
      { name: "b", n: 100, sum: 55, sum_squares: 70 },
    ],
  },
  // Variants and a population that pass (the store's segment "pro"), so that each field's own check is reached.
  "experiment.create": { id: "sweep", variants: "control:50,b:50", segment: "pro" },
  // A baseline and an effect that pass, so that each field's own check is reached.
  "experiment.plan": { baselineRate: 0.1, mde: 0.1 },
  // A URL and a secret that pass, so that each field's own check is reached.
  "destination.add": {
    url: "http://127.0.0.1:9/hook",
    secret: `whsec_${Buffer.alloc(32, 1).toString("base64")}`,
    allowPrivate: true,
  },
};

/** An upload's body in the sweep: a row the store holds already (its import changes only the import log). */
const UPLOAD_BODY = "customer_id\nc0\n";

interface Case {
  readonly what: string;
  readonly method: string;
  readonly url: string;
  readonly payload?: string | Buffer;
  readonly headers?: Record<string, string>;
  /** The field at fault, when the answer should name one (its path starts with it). */
  readonly field?: string;
  /** Hostile text in a field that may take any text: a 2xx is allowed. */
  readonly mayPass?: boolean;
  /** The status expected exactly, when one is. */
  readonly status?: number;
}

/** Path parameters that name something the store holds (so that the sweep reaches the input's checks). */
function existing(route: Route, name: string): string {
  if (name === "kind") return route.path.startsWith("/api/privacy/retention") ? "events" : "customers";
  if (name === "person") return "c0";
  if (name === "name") return route.path.startsWith("/api/traits") ? "plan" : "grp";
  return "pro";
}

/** The route's URL with its path parameters: the ids given, or ones that exist in the store. */
function urlOf(route: Route, ids: Record<string, string> = {}): string {
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(ids[name] ?? existing(route, name)),
  );
}

/** Every bad request of one route. */
function casesOf(route: Route): Case[] {
  const cases: Case[] = [];
  const { fields, required } = fieldsOf(route);
  const base = {
    ...Object.fromEntries(required.map((r) => [r, PLAIN[r] ?? "x"])),
    ...BASE[route.op.name],
  };
  const query = takesQuery(route);
  const method = route.method;
  const json = { "content-type": "application/json" };
  const withQuery = (values: Record<string, string>, ids?: Record<string, string>) => {
    const q = new URLSearchParams(values).toString();
    return `${urlOf(route, ids)}${q ? `?${q}` : ""}`;
  };
  // A body route: the body's JSON; a query route: the query string (an upload's body is an empty file).
  const send = (what: string, values: Record<string, unknown>, extra: Partial<Case> = {}): Case =>
    query
      ? {
          what,
          method,
          url: withQuery(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]))),
          ...(route.upload ? { payload: UPLOAD_BODY, headers: { "content-type": "text/csv" } } : {}),
          ...extra,
        }
      : { what, method, url: urlOf(route), payload: JSON.stringify(values), headers: json, ...extra };

  // Unknown ids in the path: 404 (or 400 for a kind that is no kind), on every route with path parameters.
  for (const name of pathParams(route.path))
    for (const id of ["no-such-thing", "'; DROP TABLE customers; --", "\u0000", "\ufffd"])
      cases.push({
        what: `unknown ${name} ${JSON.stringify(id)}`,
        method,
        // A query route gets its required fields too (a use for members), so that only the id is wrong.
        url: query
          ? withQuery(Object.fromEntries(Object.entries(base).map(([k, v]) => [k, String(v)])), {
              [name]: id,
            })
          : urlOf(route, { [name]: id }),
        ...(query ? {} : { payload: JSON.stringify(base), headers: json }),
        ...(route.upload ? { payload: UPLOAD_BODY, headers: { "content-type": "text/csv" } } : {}),
        field: name,
      });
  // An unknown field.
  cases.push(send("an unknown field", { ...base, noSuchField: 1 }, { field: "noSuchField", status: 400 }));
  if (!query) {
    const rest = JSON.stringify(base).slice(1);
    const bodies: [string, string | Buffer, Record<string, string>, number][] = [
      ["malformed JSON", "{not json", json, 400],
      ["JSON cut short", '{"a": [1, 2', json, 400],
      ["an empty JSON body", "", json, 400],
      ["a wrong content type", "id,name\nx,y\n", { "content-type": "text/csv" }, 415],
      ["plain text", JSON.stringify(base), { "content-type": "text/plain" }, 415],
      ["no content type", "{}", { "content-type": "" }, 415],
      ["an oversize body", JSON.stringify({ ...base, pad: "x".repeat(1_100_000) }), json, 413],
      [
        "bytes that are not UTF-8",
        Buffer.concat([
          Buffer.from('{"text": "'),
          Buffer.from([0xff, 0xfe, 0xc3]),
          Buffer.from(rest === "}" ? '"}' : `", ${rest}`),
        ]),
        json,
        400,
      ],
      ["a body that is an array", "[1, 2]", json, 400],
      ["a body that is null", "null", json, 400],
      ["a body that is a string", '"x"', json, 400],
      ["a body that is a number", "1e308", json, 400],
      ["a poisoned prototype", `{"__proto__": {"x": 1}, ${rest}`, json, 400],
    ];
    for (const [what, payload, headers, status] of bodies)
      cases.push({ what, method, url: urlOf(route), payload, headers, status, field: "body" });
  }
  // Each required field missing.
  for (const r of required) {
    const { [r]: _, ...others } = base;
    cases.push(send(`${r} missing`, others, { field: r, status: 400 }));
  }
  for (const [name, kind] of fields) {
    // Mistyped: a query holds only text, so only what text cannot be (a number, a boolean) is mistyped there.
    const mistyped = query
      ? kind === "integer" || kind === "number"
        ? ["twelve", "1e999", "0x10"]
        : kind === "boolean"
          ? ["maybe"]
          : []
      : MISTYPED[kind];
    for (const v of mistyped)
      cases.push(
        send(
          `${name} mistyped as ${JSON.stringify(v)}`,
          { ...base, [name]: v },
          { field: name, status: 400 },
        ),
      );
    const texts: [string, unknown][] = [];
    if (kind === "string" || kind === "time" || kind === "other") texts.push([name, undefined]);
    if (kind === "array" && !query) texts.push([`${name}.0`, undefined]);
    // Inside a structured value the sweep knows (a definition): each of its text fields.
    const plain = base[name] ?? PLAIN[name];
    if (!query && typeof plain === "object" && plain !== null && !Array.isArray(plain))
      for (const [key, v] of Object.entries(plain))
        if (typeof v === "string") texts.push([`${name}.${key}`, plain]);
    for (const [at, inside] of texts) {
      const put = (v: string): unknown =>
        at.endsWith(".0")
          ? [v]
          : inside === undefined
            ? v
            : { ...(inside as object), [at.split(".")[1] as string]: v };
      for (const v of HOSTILE_TEXT)
        cases.push(
          send(
            `${at} hostile ${JSON.stringify(v.slice(0, 30))}`,
            { ...base, [name]: put(v) },
            { field: name, mayPass: true },
          ),
        );
      // A lone surrogate cannot be stored as text (it would become U+FFFD): refused, where it is.
      if (!query)
        cases.push(
          send(
            `${at} holding a lone surrogate`,
            { ...base, [name]: put("a\ud800") },
            { field: at, status: 400 },
          ),
        );
    }
    if (kind === "number" || kind === "integer")
      for (const v of ABSURD_NUMBERS)
        cases.push(
          send(`${name} = ${JSON.stringify(v)}`, { ...base, [name]: v }, { field: name, mayPass: true }),
        );
    if (kind === "time")
      for (const v of ABSURD_TIMES)
        cases.push(send(`${name} = ${v}`, { ...base, [name]: v }, { field: name, status: 400 }));
  }
  return cases;
}

/** Whether an answer is a 4xx with the error body, naming `field` when a 400 is about one; else what is wrong. */
function refusalProblem(c: Case, status: number, text: string): string | null {
  if (status < 400 || status >= 500) return "not a 4xx";
  if (c.status !== undefined && status !== c.status) return `expected ${c.status}`;
  let e: { code?: unknown; message?: unknown; path?: unknown } | undefined;
  try {
    e = (JSON.parse(text) as { error?: typeof e }).error;
  } catch {
    return "not JSON";
  }
  if (
    !e ||
    Object.keys(e).sort().join() !== "code,message,path" ||
    typeof e.code !== "string" ||
    typeof e.message !== "string" ||
    !(e.path === null || typeof e.path === "string")
  )
    return "not the error body";
  // A 404 names the thing not found (a segment, a clustering), a 409/422 the state of the store: only a 400 is
  // about a field of the request.
  if (status === 400 && c.field !== undefined && !(typeof e.path === "string" && e.path.startsWith(c.field)))
    return `the path does not name ${c.field}`;
  return null;
}

describe("bad input at every REST endpoint", () => {
  let store: Store;
  let app: FastifyInstance;
  let admin: string;
  const internal: unknown[] = [];

  beforeAll(async () => {
    const dir = tempDir();
    const db = `${dir}/sweep.duckdb`;
    const customers = writeFile(
      dir,
      "customers.csv",
      `customer_id,plan,age\n${Array.from({ length: 30 }, (_, i) => `c${i},${i % 2 ? "pro" : "free"},${20 + i}`).join("\n")}\n`,
    );
    const orders = writeFile(
      dir,
      "orders.csv",
      // Three orders each, in three months: repeat purchases, for a CLV model.
      `order_id,customer_id,timestamp,total\n${Array.from({ length: 90 }, (_, i) => `o${i},c${i % 30},2024-0${1 + Math.floor(i / 30)}-${10 + (i % 17)},${10 + i}`).join("\n")}\n`,
    );
    for (const [kind, file] of [
      ["customers", customers],
      ["orders", orders],
    ] as const)
      expect((await runCli("import", kind, file, "--db", db)).code).toBe(0);
    const pro = writeFile(
      dir,
      "pro.json",
      JSON.stringify({ id: "pro", name: "Pro", where: { trait: "plan", eq: "pro" } }),
    );
    expect((await runCli("segment", "add", pro, "--db", db)).code).toBe(0);
    for (const args of [
      ["segment", "refresh", "--as-of", "2024-04-01"],
      ["clv", "fit"],
      ["cluster", "--k", "2", "--save-as", "grp", "--no-segments"],
    ]) {
      const r = await runCli(...args, "--db", db);
      expect(r.code, r.stderr).toBe(0);
    }
    admin = (await apiKey(db, "admin")).key;
    store = await openForServing(db);
    app = buildServer(store, {
      keys: new Authenticator(store, 0),
      // The sweep sends thousands of requests with one key.
      limiter: new RateLimiter({ perSecond: 1e9, burst: 1e9 }),
      internalError: (e) => internal.push(e),
    });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  const state = () => store.read((s) => fingerprint(s));

  // One test per route: a failure names the route, and the cases that failed, all at once.
  for (const route of ROUTES) {
    it(`${route.method} ${route.path}`, async () => {
      const writes = route.op.access === "write";
      const failures: string[] = [];
      const send = async (c: Case) => {
        const r = await app.inject({
          method: c.method as "GET",
          url: c.url,
          headers: { authorization: `Bearer ${admin}`, ...c.headers },
          ...(c.payload === undefined ? {} : { payload: c.payload }),
        });
        return { status: r.statusCode, text: r.body };
      };
      const fail = (c: Case, why: string, r: { status: number; text: string }) =>
        failures.push(`${c.what}: ${why} — ${r.status} ${r.text.slice(0, 300)}`);
      const cases = casesOf(route);
      // What must be refused, all of it, then the store compared once (a snapshot per request would be slow).
      let before = writes ? await state() : "";
      for (const c of cases.filter((c) => !c.mayPass)) {
        const r = await send(c);
        const problem = refusalProblem(c, r.status, r.text);
        if (problem) fail(c, problem, r);
      }
      if (writes && (await state()) !== before)
        failures.push("the store changed while requests were refused");
      // What may be taken as it is: a refusal must leave the store as it was, an answer may change it.
      for (const c of cases.filter((c) => c.mayPass)) {
        const r = await send(c);
        if (r.status < 300) {
          if (writes) before = await state();
          continue;
        }
        const problem = refusalProblem(c, r.status, r.text);
        if (problem) fail(c, problem, r);
        if (writes) {
          const after = await state();
          if (after !== before) fail(c, "the store changed", r);
          before = after;
        }
      }
      expect(internal.splice(0).map(String)).toEqual([]);
      expect(failures).toEqual([]);
      // Still serving, and nothing dropped or emptied.
      const stats = await app.inject({
        method: "GET",
        url: "/api/stats",
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(stats.statusCode).toBe(200);
      expect(stats.json()).toMatchObject({ customers: 30, orders: 90 });
    });
  }
});
