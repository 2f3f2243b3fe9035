/**
 * `tessera segment channels` and `tessera segment send-times` (issue 18, items 4 and 5), as a user runs them, on
 * every engine: reach per channel (consented through the consent gate AND addressable), engagement rates from past
 * sends and reactions, the suggested channel and every count through the k-gate — all against figures worked out
 * by hand below; the same answer from an encrypted database; and each bad input refused, naming what is wrong.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type ChannelReach, suggest } from "../src/activation/channels.js";
import { withSendTimes } from "../src/activation/send-times.js";
import { openForServing } from "../src/operations/index.js";
import { currentMembersSql } from "../src/segments/stays.js";
import { buildServer } from "../src/server/app.js";
import { Authenticator } from "../src/server/authenticator.js";
import { openSession } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import { TEST_ENGINES } from "./engines.js";
import { apiKey, runCli, tempDir, tesseraJson, writeFile } from "./helpers.js";

const range = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${String(from + i).padStart(2, "0")}`);
/** d01..d50 from DE (segment germans; d01..d05 also segment tiny), f01..f20 from FR. */
const D = range("d", 1, 50);
const F = range("f", 1, 20);

function files(): Record<"customers" | "consents" | "events", string> {
  const email = (id: string, i: number) => (i < 45 ? `${id}@example.com` : i < 48 ? `${id}.example.com` : "");
  const phone = (i: number) =>
    i < 20 ? `+49 (30) 1234-56${String(i).padStart(2, "0")}` : i === 20 ? "12" : "";
  const customers = [
    "customer_id,email,phone,country,tier",
    ...D.map((id, i) => `${id},${email(id, i)},${phone(i)},DE,${i < 5 ? "tiny" : ""}`),
    ...F.map((id) => `${id},${id}@example.fr,,FR,`),
  ];
  const consent = (ids: string[], channel: string, status = "granted", at = "2024-01-01") =>
    ids.map((id) => `${id},marketing,${channel},${status},${at}`);
  const consents = [
    "customer_id,purpose,channel,status,timestamp",
    ...consent([...range("d", 1, 40), "d46", "d47"], "email"),
    ...consent(["d05"], "email", "withdrawn", "2024-02-01"),
    ...consent(range("d", 1, 15), "sms"),
    ...consent(range("d", 21, 40), "push"),
    ...consent(range("d", 1, 12), "post"),
    ...consent(F, "email"),
  ];
  type Ev = { id: string; event: string; at: string; properties?: Record<string, unknown> };
  const ev: Ev[] = [];
  const each = (ids: string[], event: string, at: string, properties?: Record<string, unknown>) => {
    for (const id of ids) ev.push({ id, event, at, ...(properties ? { properties } : {}) });
  };
  // Devices: d01..d30 on a phone lately; d31 only long ago; d32 through the tracking API's context (a push token);
  // d33 on a desktop.
  each(range("d", 1, 30), "Page Viewed", "2024-05-05T19:10:00Z", { device: "mobile" });
  each(["d31"], "Page Viewed", "2023-01-05T19:10:00Z", { device: "mobile" });
  each(["d32"], "Page Viewed", "2024-05-05T19:10:00Z", { context: { device: { token: "tok-1" } } });
  each(["d33"], "Page Viewed", "2024-05-05T19:10:00Z", { device: "desktop" });
  // Email: sent to d01..d40 and f01..f20 (channel property), opened by d01..d25 and f01..f05; d41..d45 long ago.
  each([...range("d", 1, 40), ...F], "Email Sent", "2024-05-01T09:00:00Z", { channel: "email" });
  each([...range("d", 1, 25), ...range("f", 1, 5)], "Email Opened", "2024-05-02T07:00:00Z", {
    channel: "email",
  });
  each(range("d", 41, 45), "Email Sent", "2023-01-10T09:00:00Z", { channel: "email" });
  each(range("d", 41, 45), "Email Opened", "2023-01-11T09:00:00Z", { channel: "email" });
  // SMS (channel from the name): sent to d01..d05 and f01..f20, clicked by d01 and f01..f10.
  each([...range("d", 1, 5), ...F], "SMS Sent", "2024-05-03T12:00:00Z");
  each(["d01", ...range("f", 1, 10)], "SMS Clicked", "2024-05-03T12:30:00Z");
  // An "Email Opened" whose properties say sms: its name says email, and wins.
  each(["d26"], "Email Opened", "2024-05-02T07:00:00Z", { channel: "sms" });
  // Post, by a name that does not say its channel: the channel property does. Sent d01..d30, clicked d01..d15.
  each(range("d", 1, 30), "Message Sent", "2024-05-04T08:00:00Z", { channel: "post" });
  each(range("d", 1, 15), "Message Clicked", "2024-05-06T08:00:00Z", { channel: "Post " });
  // Push: sent through a campaign (campaign_sends, below) to d21..d40, opened by d21..d30 — and by d01, never sent.
  each([...range("d", 21, 30), "d01"], "Push Opened", "2024-05-11T12:00:00Z");
  const events = ev.map((e) =>
    JSON.stringify({
      type: "track",
      customer_id: e.id,
      event: e.event,
      timestamp: e.at,
      ...(e.properties ? { properties: e.properties } : {}),
    }),
  );
  return {
    customers: `${customers.join("\n")}\n`,
    consents: `${consents.join("\n")}\n`,
    events: `${events.join("\n")}\n`,
  };
}

/** A store with the files above, a push campaign's sends, d06 on the suppression list, segments refreshed. */
async function store(db: string): Promise<void> {
  const dir = tempDir();
  const f = files();
  for (const [kind, name] of [
    ["customers", "customers.csv"],
    ["consents", "consents.csv"],
    ["events", "events.ndjson"],
  ] as const) {
    const r = await runCli("import", kind, writeFile(dir, name, f[kind]), "--db", db);
    expect(r.code, r.stderr).toBe(0);
  }
  const s = await openSession(db);
  try {
    await s.run(
      sql`INSERT INTO campaigns (campaign_id, audience_id, channel, template, created_at, created_by)
          VALUES ('cp', 'a', 'push', 'Hi', ${s.dialect.now()}, 'test')`,
    );
    const sends = [
      ...range("d", 21, 40).map((id) => [id, "sent"]),
      ...range("d", 41, 45).map((id) => [id, "held-out"]),
    ];
    for (const [id, status] of sends)
      await s.run(
        sql`INSERT INTO campaign_sends (send_id, campaign_id, customer_id, status, scheduled_at, sent_at)
            VALUES (${`s-${id}`}, 'cp', ${id as string}, ${status as string},
                    ${s.dialect.timestampFromEpochSeconds(sql.param(Date.parse("2024-05-10T10:00:00Z") / 1000, "integer"))},
                    ${status === "sent" ? s.dialect.timestampFromEpochSeconds(sql.param(Date.parse("2024-05-10T10:00:00Z") / 1000, "integer")) : sql`NULL`})`,
      );
  } finally {
    await s.close();
  }
  expect((await runCli("privacy", "suppress", "d06", "--reason", "do-not-contact", "--db", db)).code).toBe(0);
  await tesseraJson(
    db,
    "segment",
    "add",
    "--id",
    "germans",
    "--name",
    "Germans",
    "--where",
    'country = "DE"',
  );
  await tesseraJson(db, "segment", "add", "--id", "tiny", "--name", "Tiny", "--where", 'tier = "tiny"');
  await tesseraJson(db, "segment", "refresh", "--as-of", "2024-07-01");
}

/** What every channel of `germans` must show, worked out from the files above (k = 10). */
const GERMANS = [
  {
    channel: "email",
    addressedBy: "email address",
    // Granted d01..d40, d46, d47; less d05 (withdrew) and d06 (suppressed).
    consented: 40,
    // d01..d45 have an address that looks real: 45 of 50, the other 5 a small group: hidden.
    addressable: null,
    // Consented with a real address: d01..d40 less d05, d06.
    reachable: 38,
    // Sent d01..d40 within the year (d41..d45 only before it), opened by d01..d26.
    sent: 40,
    engaged: 26,
    engagementRate: 0.65,
    // Everyone: 26 + 5 of 40 + 20 = 0.5167, to 0.1 %.
    baseEngagementRate: 0.517,
    rateBasis: "segment",
    expectedEngaged: 25, // 38 × 0.65 = 24.7
    suppressed: true,
  },
  {
    channel: "sms",
    addressedBy: "phone number",
    consented: 14, // d01..d15 less d06
    addressable: 20, // d01..d20; d21's "12" is not a number
    reachable: 14,
    // Sent d01..d05: a small group, and with it the one who clicked; the rate too.
    sent: null,
    engaged: null,
    engagementRate: null,
    baseEngagementRate: 0.44, // 11 of 25
    rateBasis: "base",
    expectedEngaged: 6, // 14 × 0.44 = 6.16
    suppressed: true,
  },
  {
    channel: "push",
    addressedBy: "mobile device seen",
    consented: 20, // d21..d40
    addressable: 31, // d01..d30 and d32 (a push token); d31's phone is older than a year
    reachable: 11, // d21..d30, d32
    sent: 20, // the campaign's sends (not the held-out)
    engaged: 10, // d21..d30 (d01 opened, but was never sent)
    engagementRate: 0.5,
    baseEngagementRate: 0.5,
    rateBasis: "segment",
    expectedEngaged: 6, // 11 × 0.5 = 5.5
    suppressed: false,
  },
  {
    channel: "post",
    addressedBy: null,
    consented: 11, // d01..d12 less d06
    addressable: null,
    reachable: 11,
    sent: 30,
    engaged: 15,
    engagementRate: 0.5,
    baseEngagementRate: 0.5,
    rateBasis: "segment",
    expectedEngaged: 6, // 11 × 0.5 = 5.5
    suppressed: false,
  },
];

describe.each(TEST_ENGINES)("channels per segment on $name", (engine) => {
  it("reports reach, engagement and a suggested channel per segment, through the k-gate", async () => {
    const db = engine.location();
    await store(db);
    const r = await tesseraJson(db, "segment", "channels", "germans", "--as-of", "2024-07-01");
    expect(r).toMatchObject({
      segment: "germans",
      purpose: "marketing",
      asOf: "2024-07-01T00:00:00.000Z",
      since: "2023-07-02T00:00:00.000Z",
      members: 50,
      minGroup: 10,
      suggested: { channel: "email", expectedEngaged: 25, basis: "expected-engaged" },
    });
    expect(r.channels).toEqual(GERMANS);

    // A segment of five: every count hidden, nothing suggested (nothing shown to suggest from).
    const tiny = await tesseraJson(db, "segment", "channels", "tiny", "--as-of", "2024-07-01");
    expect(tiny.members).toBeNull();
    for (const c of tiny.channels as ChannelReach[]) {
      expect([c.consented, c.addressable, c.reachable, c.sent, c.engaged, c.engagementRate]).toEqual([
        null,
        null,
        null,
        null,
        null,
        null,
      ]);
      expect(c.expectedEngaged).toBeNull();
    }
    expect(tiny.suggested).toBeNull();

    // The text for people: the same figures, hidden ones named.
    const text = await runCli("segment", "channels", "germans", "--as-of", "2024-07-01", "--db", db);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^email +40 +hidden +38 +40 +26 +65\.0% +51\.7% +25$/m);
    expect(text.stdout).toMatch(/^sms +14 +20 +14 +hidden +hidden +hidden +44\.0% +6$/m);
    expect(text.stdout).toMatch(/^post +11 +not checked +11 +30 +15 +50\.0% +50\.0% +6$/m);
    expect(text.stdout).toMatch(/suggested: email \(25 people expected to engage\)/);

    // Send times: a histogram of the hours chosen, its cells through the k-gate, adding up to the segment.
    const st = await tesseraJson(
      db,
      "segment",
      "send-times",
      "germans",
      "--start",
      "2024-07-01T08:00:00Z",
      "--window",
      "1d",
    );
    expect(st).toMatchObject({ segment: "germans", windowHours: 24, people: 50, minGroup: 10 });
    // The reference: the same times read directly, counted per hour.
    const s = await openSession(db);
    const counts = await withSendTimes(
      s,
      currentMembersSql("germans"),
      { start: new Date("2024-07-01T08:00:00Z"), windowHours: 24 },
      async (t) => {
        const q = await s.query(
          sql`SELECT send_at, count(*) AS n FROM (${t}) x GROUP BY send_at ORDER BY send_at`,
        );
        return (q.column("send_at") as Date[]).map((at, i) => [at.toISOString(), Number(q.column("n")[i])]);
      },
    );
    await s.close();
    const slots = st.slots as { at: string; people: number | null }[];
    expect(slots.map((x) => x.at)).toEqual(counts.map(([at]) => at));
    const hiddenSum = counts.reduce((a, [, n], i) => a + (slots[i]?.people === null ? (n as number) : 0), 0);
    for (const [i, [, n]] of counts.entries()) {
      const shown = slots[i]?.people;
      if ((n as number) < 10) expect(shown).toBeNull();
      else if (shown !== null) expect(shown).toBe(n);
    }
    // Hidden cells are none, or add up to at least k (none recoverable from the total).
    expect(hiddenSum === 0 || hiddenSum >= 10).toBe(true);
    for (const x of slots) {
      expect(Date.parse(x.at)).toBeGreaterThanOrEqual(Date.parse("2024-07-01T08:00:00Z"));
      expect(Date.parse(x.at)).toBeLessThan(Date.parse("2024-07-02T08:00:00Z"));
    }
  });

  it("refuses an unknown or unevaluated segment, an unknown purpose and a bad window, naming them", async () => {
    const db = engine.location();
    await store(db);
    const cases: [string[], RegExp][] = [
      [["segment", "channels", "germanz"], /unknown-segment|no segment "germanz".*did you mean "germans"/],
      [
        ["segment", "channels", "germans", "--purpose", "marketting"],
        /purpose.*"marketting".*did you mean "marketing"/,
      ],
      [["segment", "channels", "germans", "--purpose", " "], /purpose.*a purpose is required/],
      [["segment", "channels", "germans", "--as-of", "yesterday"], /--as-of.*not an ISO 8601 date/],
      [["segment", "send-times", "germanz"], /no segment "germanz".*did you mean "germans"/],
      [["segment", "send-times", "germans", "--window", "0h"], /--window.*1 to 168 hours/],
      [["segment", "send-times", "germans", "--window", "8d"], /--window.*1 to 168 hours .*192 h/],
      [["segment", "send-times", "germans", "--window", "soon"], /--window.*"soon" is not a send window/],
      [["segment", "send-times", "germans", "--start", "2024-13-01"], /--start.*not an ISO 8601 date/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(...args, "--db", db);
      expect([args.join(" "), r.code]).toEqual([args.join(" "), 1]);
      expect(r.stderr).toMatch(message);
    }
    // A segment saved since the last refresh has no known members yet.
    await tesseraJson(db, "segment", "add", "--id", "fresh", "--name", "Fresh", "--where", 'country = "FR"');
    for (const cmd of ["channels", "send-times"]) {
      const r = await runCli("segment", cmd, "fresh", "--db", db);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/fresh: saved since the last refresh, not evaluated yet/);
    }
  });
});

describe("channels per segment on an encrypted database", () => {
  afterEach(() => {
    delete process.env.TESSERA_ENCRYPTION_KEY;
  });

  it("opens the sealed contact fields for the check and gives the same answer", async () => {
    process.env.TESSERA_ENCRYPTION_KEY = Buffer.from("5c".repeat(32), "hex").toString("base64");
    const db = TEST_ENGINES[0]?.location() as string;
    await store(db);
    const r = await tesseraJson(db, "segment", "channels", "germans", "--as-of", "2024-07-01");
    expect(r.channels).toEqual(GERMANS);
    // The key is needed to read them.
    delete process.env.TESSERA_ENCRYPTION_KEY;
    const none = await runCli("segment", "channels", "germans", "--db", db);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/TESSERA_ENCRYPTION_KEY/);
  });
});

describe("channels and send times over the API", () => {
  it("answers an analyst's key with the CLI's figures, and each bad input with its status", async () => {
    const db = TEST_ENGINES[0]?.location() as string;
    await store(db);
    await tesseraJson(db, "segment", "add", "--id", "fresh", "--name", "Fresh", "--where", 'country = "FR"');
    const cli = await tesseraJson(db, "segment", "channels", "germans", "--as-of", "2024-07-01");
    const { key } = await apiKey(db, "analyst");
    const served = await openForServing(db);
    const errors: unknown[] = [];
    const app = buildServer(served, {
      keys: new Authenticator(served, 0),
      log: () => {},
      internalError: (e) => errors.push(e),
    });
    try {
      const get = async (url: string) => {
        const r = await app.inject({ method: "GET", url, headers: { authorization: `Bearer ${key}` } });
        return { status: r.statusCode, body: r.json() as Record<string, unknown> };
      };
      const ok = await get("/api/segments/germans/channels?purpose=marketing&asOf=2024-07-01");
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual(cli);
      const times = await get("/api/segments/germans/send-times?start=2024-07-01T08:00:00Z&window=24h");
      expect(times.status).toBe(200);
      expect(times.body).toMatchObject({ segment: "germans", people: 50, windowHours: 24 });
      for (const [url, status, code] of [
        ["/api/segments/germanz/channels", 404, "unknown-segment"],
        ["/api/segments/fresh/channels", 409, "not-evaluated"],
        ["/api/segments/germans/channels?purpose=marketting", 422, "unknown-purpose"],
        ["/api/segments/germans/send-times?window=9d", 400, "bad-input"],
        ["/api/segments/fresh/send-times", 409, "not-evaluated"],
      ] as const) {
        const r = await get(url);
        expect([url, r.status, (r.body.error as { code: string }).code]).toEqual([url, status, code]);
      }
      expect(errors).toEqual([]);
    } finally {
      await app.close();
      await served.close();
    }
  });
});

describe("the suggested channel", () => {
  const reach = (
    channel: string,
    reachable: number | null,
    rate: number | null,
    base: number | null = null,
  ) =>
    ({
      channel,
      addressedBy: null,
      consented: reachable,
      addressable: null,
      reachable,
      sent: null,
      engaged: null,
      engagementRate: rate,
      baseEngagementRate: base,
      rateBasis: rate !== null ? "segment" : base !== null ? "base" : null,
      expectedEngaged:
        reachable === null || (rate ?? base) === null
          ? null
          : Math.round(reachable * ((rate ?? base) as number)),
      suppressed: false,
    }) satisfies ChannelReach;

  it("takes the most expected engaged people, then the higher rate, then the most reachable", () => {
    // 1000 × 0.1 = 100 against 300 × 0.5 = 150: the smaller but keener channel.
    expect(suggest([reach("email", 1000, 0.1), reach("sms", 300, 0.5)])).toEqual({
      channel: "sms",
      expectedEngaged: 150,
      basis: "expected-engaged",
    });
    // A tie in expected people: the higher rate.
    expect(suggest([reach("email", 200, 0.5), reach("push", 100, 1)])?.channel).toBe("push");
    // The base's rate where the segment's is hidden.
    expect(suggest([reach("email", 100, 0.2), reach("sms", 100, null, 0.3)])?.channel).toBe("sms");
    // No rate anywhere: the most reachable, said so; nobody reachable: none.
    expect(suggest([reach("email", 50, null), reach("post", 80, null)])).toEqual({
      channel: "post",
      expectedEngaged: null,
      basis: "reach",
    });
    expect(suggest([reach("email", 0, 0.5), reach("sms", null, 0.5)])).toBeNull();
  });
});
