/**
 * `tessera campaign create|preview|send|sends` (issue 18, item 3) as a user runs them, on every engine: messages
 * rendered from each person's traits, computed values and the campaign's offer, written to an outbox file and
 * recorded; the consent gate (a withdrawal takes effect at the next send), the holdout (a reference computation
 * of the hash, its share, its stability as people join), the frequency cap (hand-made history inside and outside
 * the period, other channels not counted) and every bad input refused with nothing written or recorded.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import { TEST_ENGINES } from "./engines.js";
import { dbSnapshot, runCli, storedRows, tempDir, tesseraJson, writeFile } from "./helpers.js";

/** A person of the test data: what the CSV says of them. */
interface Person {
  id: string;
  email: string;
  first: string;
  city: string;
}

/**
 * `n` customers p0001…, all from DE; p0003 has no first name, p0007 no email and p0008 an email that is not one;
 * every fifth has no city.
 */
function people(n: number, from = 1): Person[] {
  return Array.from({ length: n }, (_, i) => {
    const k = i + from;
    const id = `p${String(k).padStart(4, "0")}`;
    return {
      id,
      email: k === 7 ? "" : k === 8 ? `${id}.example.com` : `${id}@example.com`,
      first: k === 3 ? "" : `Name${k}`,
      city: k % 5 === 0 ? "" : `City${k % 7}`,
    };
  });
}

const customersCsv = (ps: Person[]) =>
  `customer_id,email,first_name,city,country\n${ps.map((p) => `${p.id},${p.email},${p.first},${p.city},DE`).join("\n")}\n`;

/** Marketing by email granted to everyone but p0005 (never asked) and p0006 (granted, then withdrew). */
const consentsCsv = (ps: Person[]) =>
  `${[
    "customer_id,purpose,channel,status,timestamp",
    ...ps.filter((p) => p.id !== "p0005").map((p) => `${p.id},marketing,email,granted,2024-01-01`),
    ...(ps.some((p) => p.id === "p0006") ? ["p0006,marketing,email,withdrawn,2024-02-01"] : []),
  ].join("\n")}\n`;

/** The reference holdout: SHA-256 of campaign id, NUL, customer id; its first 52 bits as a fraction of 2^52. */
function heldOutRef(campaign: string, id: string, share: number): boolean {
  const h = createHash("sha256").update(`${campaign}\u0000${id}`).digest();
  const draw = (h.readUInt32BE(0) * 2 ** 20 + (h.readUInt32BE(4) >>> 12)) / 2 ** 52;
  return draw < share;
}

const TEMPLATE = `Hi {{ first_name | default: "there" }},
{{ offer.discount }} off in {{ city | default: "your town" }} with {{ offer.code }}.
`;
/** The message `TEMPLATE` makes for a person, written out independently. */
const expectedBody = (p: Person) =>
  `Hi ${p.first || "there"},\n10% off in ${p.city || "your town"} with WB10.\n`;

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(...args);
}

/** Imports people and their consents, defines the segment `germans` and refreshes. */
async function load(db: string, ps: Person[], dir = tempDir()): Promise<void> {
  for (const [kind, text] of [
    ["customers", customersCsv(ps)],
    ["consents", consentsCsv(ps)],
  ] as const) {
    const r = await run("import", kind, writeFile(dir, `${kind}.csv`, text), "--db", db);
    expect(r.code, r.stderr).toBe(0);
  }
  if (!(await run("segment", "show", "germans", "--db", db)).code) {
    await tesseraJson(db, "segment", "refresh");
    return;
  }
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
  await tesseraJson(db, "segment", "refresh");
}

/** Messages of an outbox file. */
function outbox(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Adds hand-made history to `campaign_sends`: rows of (customer, channel, status, scheduled). */
async function history(db: string, rows: [string, string, string, string][]): Promise<void> {
  const store = await openStore(db);
  try {
    await store.write(async (e) => {
      for (const [id, channel, status, at] of rows)
        await e.run(
          sql`INSERT INTO campaign_sends (send_id, campaign_id, customer_id, status, offer, scheduled_at, sent_at, channel)
              VALUES ('old', 'older-campaign', ${id}, ${status}, NULL, ${sql.param(at, "timestamp")},
                      ${sql.param(at, "timestamp")}, ${channel})`,
        );
    });
  } finally {
    await store.close();
  }
}

const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();

afterEach(() => {
  delete process.env.TESSERA_ENCRYPTION_KEY;
});

describe.each(TEST_ENGINES)("campaigns on $name", (engine) => {
  it("sends each consented member their message, holds out, caps, and records who got what", async () => {
    const db = engine.location();
    const dir = tempDir();
    const ps = people(300);
    await load(db, ps, dir);
    await tesseraJson(
      db,
      "audience",
      "create",
      "de",
      "--segment",
      "germans",
      "--purpose",
      "marketing",
      "--channel",
      "email",
    );
    const template = writeFile(dir, "offer.liquid", TEMPLATE);
    const created = await tesseraJson(
      db,
      "campaign",
      "create",
      "spring",
      "--audience",
      "de",
      "--template",
      template,
      "--subject",
      "For {{ first_name | default: 'you' }}",
      "--offer",
      "spring10:code=WB10,discount=10%",
      "--holdout",
      "10%",
      "--frequency-cap",
      "2/7d",
    );
    expect(created.campaign).toMatchObject({
      id: "spring",
      audience: "de",
      channel: "email",
      templateName: "offer.liquid",
      offer: { name: "spring10", code: "WB10", discount: "10%" },
      holdout: 0.1,
      frequencyCap: { count: 2, hours: 168, text: "2/7d" },
      sendWindowHours: null,
    });

    // History: p0011 had two emails 8 days ago (outside the 7 days), p0012 two 2 days ago (inside: capped),
    // p0013 two SMS 1 day ago (another channel: not counted), p0014 one email and one capped record (not sent).
    await history(db, [
      ["p0011", "email", "sent", daysAgo(8)],
      ["p0011", "email", "sent", daysAgo(8)],
      ["p0012", "email", "sent", daysAgo(2)],
      ["p0012", "email", "sent", daysAgo(2)],
      ["p0013", "sms", "sent", daysAgo(1)],
      ["p0013", "sms", "sent", daysAgo(1)],
      ["p0014", "email", "sent", daysAgo(1)],
      ["p0014", "email", "capped", daysAgo(1)],
    ]);

    // A preview of one member: their real message; someone who withdrew is refused.
    const preview = await tesseraJson(db, "campaign", "preview", "spring", "--customer", "p0003");
    expect(preview.examples).toEqual([
      expect.objectContaining({
        customerId: "p0003",
        subject: "For you",
        body: expectedBody(ps[2] as Person),
        reachable: true,
        heldOut: heldOutRef("spring", "p0003", 0.1),
      }),
    ]);
    const few = await tesseraJson(db, "campaign", "preview", "spring");
    expect((few.examples as unknown[]).length).toBe(3);
    const refused = await run("campaign", "preview", "spring", "--customer", "p0006", "--db", db);
    expect([refused.code, refused.stderr]).toEqual([
      1,
      expect.stringMatching(/customer: p0006 is not among the consented members of audience de now/),
    ]);

    // The first send.
    const out1 = `${dir}/send1.ndjson`;
    const s1 = await tesseraJson(db, "campaign", "send", "spring", "--out", out1);
    const members = ps.filter((p) => p.id !== "p0005" && p.id !== "p0006");
    const heldOut = members.filter((p) => heldOutRef("spring", p.id, 0.1)).map((p) => p.id);
    const notHeld = members.filter((p) => !heldOut.includes(p.id));
    const capped = notHeld.filter((p) => p.id === "p0012").map((p) => p.id);
    const unreachable = notHeld.filter((p) => p.id === "p0007" || p.id === "p0008").map((p) => p.id);
    const sent = notHeld.filter((p) => !capped.includes(p.id) && !unreachable.includes(p.id));
    expect(s1).toMatchObject({
      campaign: "spring",
      channel: "email",
      sent: sent.length,
      dryRun: false,
    });
    // Who got nothing, by why, through the k-gate: 1 capped and 2 unreachable are small groups, and the held out
    // would give their sum away (the audience's size less the sent is known): all three hidden.
    expect([heldOut.length, capped.length, unreachable.length]).toEqual([heldOut.length, 1, 2]);
    expect(s1).toMatchObject({ heldOut: null, capped: null, unreachable: null, suppressed: true });
    const lines = outbox(out1);
    expect(lines.map((l) => l.customerId)).toEqual(sent.map((p) => p.id));
    for (const [i, l] of lines.entries()) {
      const p = sent[i] as Person;
      expect(l).toEqual({
        messageId: `${s1.sendId}:${p.id}`,
        sendId: s1.sendId,
        campaign: "spring",
        customerId: p.id,
        channel: "email",
        to: p.email,
        subject: `For ${p.first || "you"}`,
        body: expectedBody(p),
        offer: { name: "spring10", code: "WB10", discount: "10%" },
        scheduledAt: s1.at,
      });
    }
    const byStatus = async (sendId: unknown) => {
      const r = await tesseraJson(db, "campaign", "sends", "spring", "--send", String(sendId));
      const out: Record<string, string[]> = {};
      for (const s of r.sends as { customerId: string; status: string }[]) {
        out[s.status] = [...(out[s.status] ?? []), s.customerId];
      }
      return out;
    };
    expect(await byStatus(s1.sendId)).toEqual({
      sent: sent.map((p) => p.id),
      "held-out": heldOut,
      capped,
      unreachable,
    });
    // The sent are recorded at their scheduled time (the send's, without a window), with the offer and channel.
    const rows = await storedRows(
      db,
      "SELECT count(*) AS n, count(DISTINCT scheduled_at) AS times, min(offer) AS offer, min(channel) AS channel FROM campaign_sends WHERE campaign_id = 'spring' AND status = 'sent'",
    );
    expect(rows.map((r) => [Number(r.n), Number(r.times), r.offer, r.channel])).toEqual([
      [sent.length, 1, "spring10", "email"],
    ]);
    // The outbox is not overwritten without --force.
    const again = await run("campaign", "send", "spring", "--out", out1, "--db", db);
    expect([again.code, again.stderr]).toEqual([
      1,
      expect.stringMatching(/--out: .*send1\.ndjson exists: add --force/),
    ]);

    // p0009 withdraws; 40 people join (consented). The second send: p0009 in no record of it; the held out of the
    // first are held out again, and the newcomers by the same hash.
    await run(
      "consent",
      "record",
      "p0009",
      "--purpose",
      "marketing",
      "--channel",
      "email",
      "--status",
      "withdrawn",
      "--db",
      db,
    );
    const newcomers = people(40, 301);
    await load(db, newcomers, tempDir());
    const s2 = await tesseraJson(db, "campaign", "send", "spring", "--out", out1, "--force");
    const second = await byStatus(s2.sendId);
    const all2 = Object.values(second).flat();
    expect(all2).not.toContain("p0009");
    expect(all2).not.toContain("p0006");
    expect(outbox(out1).map((l) => l.customerId)).not.toContain("p0009");
    const members2 = [...members, ...newcomers].filter((p) => p.id !== "p0009");
    expect(second["held-out"]).toEqual(
      members2.filter((p) => heldOutRef("spring", p.id, 0.1)).map((p) => p.id),
    );
    expect((second["held-out"] ?? []).filter((id) => id <= "p0300")).toEqual(
      heldOut.filter((id) => id !== "p0009"),
    );
    // Capped now: p0012 (history) and p0014 and p0011? No: p0011's emails are 8 days old; p0014 has one sent
    // email in the period plus this campaign's first one: two, capped.
    expect(second.capped).toEqual(["p0012", "p0014"].filter((id) => !heldOut.includes(id)));

    // A third send: everyone sent twice in the period is capped now; the newcomers (sent once) get their second.
    const s3 = await tesseraJson(db, "campaign", "send", "spring", "--out", `${dir}/send3.ndjson`);
    const third = await byStatus(s3.sendId);
    const sentBoth = (second.sent ?? []).filter((id) => id <= "p0300");
    expect(third.capped).toEqual([...new Set([...sentBoth, ...(second.capped ?? [])])].sort());
    expect(third.sent).toEqual((second.sent ?? []).filter((id) => id > "p0300"));

    // What `campaign show` reports: the three sends, their counts through the k-gate. Each send's 2 unreachable
    // are a small group; hidden alone they would be the others' difference, so the next smallest cells go too
    // until the hidden add up to k: the capped and the held out of the first two sends, the 37 sent of the third.
    const shown = await tesseraJson(db, "campaign", "show", "spring");
    const counts = (shown.sends as Record<string, unknown>[]).map((x) => [
      x.sendId,
      x.sent,
      x.heldOut,
      x.capped,
      x.unreachable,
    ]);
    const n = (list: string[] | undefined) => list?.length ?? 0;
    expect([n(second.capped), n(third.sent)]).toEqual([2, 37]);
    expect(counts).toEqual([
      [s1.sendId, sent.length, null, null, null],
      [s2.sendId, n(second.sent), null, null, null],
      [s3.sendId, null, n(third["held-out"]), n(third.capped), null],
    ]);
    // Removed, its sends stay (caps go on counting them) and its id is not given again.
    expect((await tesseraJson(db, "campaign", "remove", "spring")).removed).toBe("spring");
    const reuse = await run(
      "campaign",
      "create",
      "spring",
      "--audience",
      "de",
      "--template",
      template,
      "--subject",
      "s",
      "--offer",
      "x:code=1,discount=2",
      "--db",
      db,
    );
    expect([reuse.code, reuse.stderr]).toEqual([
      1,
      expect.stringMatching(/id: campaign "spring" exists, or was sent and removed/),
    ]);
    const kept = await storedRows(
      db,
      "SELECT count(*) AS n FROM campaign_sends WHERE campaign_id = 'spring'",
    );
    // One row per person per send: the first send's members, then twice those less p0009 plus the newcomers.
    expect(Number(kept[0]?.n)).toBe(members.length + 2 * (members.length - 1 + newcomers.length));
    // Sending and previewing named people: both are in the audit log, with the audience's purpose and channel.
    const log = await storedRows(
      db,
      "SELECT action, subject, purpose, people FROM audit_log WHERE action IN ('campaign.send', 'campaign.preview') ORDER BY seq",
    );
    expect(log.slice(0, 3).map((r) => [r.action, r.subject, r.purpose, Number(r.people)])).toEqual([
      ["campaign.preview", "campaign=spring channel=email", "marketing", 1],
      ["campaign.preview", "campaign=spring channel=email", "marketing", 3],
      ["campaign.send", "campaign=spring channel=email", "marketing", sent.length],
    ]);
  });

  it("refuses bad input and a message a person lacks a value for, writing and recording nothing", async () => {
    const db = engine.location();
    const dir = tempDir();
    const ps = people(30);
    await load(db, ps, dir);
    await tesseraJson(
      db,
      "audience",
      "create",
      "de",
      "--segment",
      "germans",
      "--purpose",
      "marketing",
      "--channel",
      "email",
    );
    const good = writeFile(dir, "good.liquid", TEMPLATE);
    const strict = writeFile(dir, "strict.liquid", "Hi {{ first_name }} in {{ city }}\n");
    await tesseraJson(
      db,
      "campaign",
      "create",
      "strict",
      "--audience",
      "de",
      "--template",
      strict,
      "--subject",
      "Hi",
    );
    const before = await dbSnapshot(db);
    const base = [
      "--audience",
      "de",
      "--template",
      good,
      "--subject",
      "s",
      "--offer",
      "o:code=WB10,discount=10%",
    ];
    const cases: [string[], RegExp][] = [
      [
        ["--audience", "dee", "--template", good, "--subject", "s"],
        /audience: no audience "dee" \(did you mean "de"\?\)/,
      ],
      [
        [
          "--audience",
          "de",
          "--template",
          writeFile(dir, "syntax.liquid", "Hi\n  {{ first_name "),
          "--subject",
          "s",
        ],
        /syntax\.liquid: line 2, column 3: output "\{\{ first_name " not closed/,
      ],
      [
        [
          "--audience",
          "de",
          "--template",
          writeFile(dir, "filter.liquid", "Hi\n\n {{ first_name | shout }}"),
          "--subject",
          "s",
        ],
        /filter\.liquid: line 3, column 2: undefined filter: shout/,
      ],
      [
        [
          "--audience",
          "de",
          "--template",
          writeFile(dir, "typo.liquid", "Hi {{ frist_name }}"),
          "--subject",
          "s",
        ],
        /typo\.liquid: line 1, column 7: unknown variable "frist_name" \(did you mean "first_name"\?\)/,
      ],
      [
        ["--audience", "de", "--template", good, "--subject", "s"],
        /the template reads offer, but the campaign has no --offer/,
      ],
      [
        ["--audience", "de", "--template", `${dir}/missing.liquid`, "--subject", "s"],
        /--template: cannot read .*missing\.liquid: no such file/,
      ],
      [
        [...base, "--frequency-cap", "twice a week"],
        /--frequency-cap: "twice a week" is not a frequency cap: write N\/PERIOD, e\.g\. 2\/7d/,
      ],
      [[...base, "--frequency-cap", "0/7d"], /--frequency-cap: a cap of 0 messages sends nothing/],
      [
        [...base, "--holdout", "100%"],
        /--holdout: a holdout is from 0% up to \(not including\) 100%, got 100%/,
      ],
      [
        [...base, "--holdout", "-5%"],
        /--holdout: a holdout is from 0% up to \(not including\) 100%, got -5%/,
      ],
      [[...base, "--holdout", "ten"], /--holdout: "ten" is not a holdout/],
      [[...base, "--send-window", "3 days"], /--send-window: "3 days" is not a send window/],
      [
        [...base, "--channel", "sms"],
        /channel: audience de is for marketing by email: its people consented to email, not sms/,
      ],
      [
        ["--audience", "de", "--template", good, "--offer", "o:code=WB10,discount=10%"],
        /subject: an email needs a subject/,
      ],
      [[...base, "--offer", "o:code"], /--offer: "code" is not key=value/],
      [["--template", good, "--subject", "s"], /--audience: required/],
    ];
    for (const [args, message] of cases) {
      const r = await run("campaign", "create", "c1", ...args, "--db", db);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr).toMatch(message);
    }
    const dup = await run("campaign", "create", "strict", ...base, "--db", db);
    expect([dup.code, dup.stderr]).toEqual([1, expect.stringMatching(/id: campaign "strict" exists/)]);

    // A send whose template lacks a value for some people is refused whole: which variables, how many people, a
    // few of them; no outbox, no record. (p0003 has no first name; p0005, p0010, p0015… no city, p0005 is out.)
    const out = `${dir}/strict.ndjson`;
    const refused = await run("campaign", "send", "strict", "--out", out, "--db", db);
    const noCity = ps.filter((p) => !p.city && p.id !== "p0005" && p.id !== "p0006").map((p) => p.id);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `campaign strict: ${noCity.length + 1} customers cannot be sent this campaign's message, so nothing was sent: missing values the template needs and gives no default for: city (strict.liquid) for ${noCity.length} customers (e.g. ${noCity.slice(0, 3).join(", ")}); first_name (strict.liquid) for 1 customer (e.g. p0003)`,
    );
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes("partial"))).toEqual([]);
    const unknown = await run("campaign", "send", "strik", "--out", out, "--db", db);
    expect([unknown.code, unknown.stderr]).toEqual([
      1,
      expect.stringMatching(/no campaign "strik" \(did you mean "strict"\?\)/),
    ]);
    const noOut = await run("campaign", "send", "strict", "--db", db);
    expect([noOut.code, noOut.stderr]).toEqual([1, expect.stringMatching(/--out: required/)]);
    expect(await dbSnapshot(db)).toBe(before);
  });

  it("schedules each person within the send window, and opens sealed addresses in an encrypted database", async () => {
    process.env.TESSERA_ENCRYPTION_KEY = Buffer.from("5c".repeat(32), "hex").toString("base64");
    const db = engine.location();
    const dir = tempDir();
    const ps = people(12);
    await load(db, ps, dir);
    await tesseraJson(
      db,
      "audience",
      "create",
      "de",
      "--segment",
      "germans",
      "--purpose",
      "marketing",
      "--channel",
      "email",
    );
    const stored = await storedRows(db, "SELECT email FROM customers WHERE customer_id = 'p0001'");
    expect(String(stored[0]?.email)).toMatch(/^tse1\./);
    const t = writeFile(dir, "t.liquid", "Dear {{ first_name | default: 'customer' }} ({{ email }})");
    await tesseraJson(
      db,
      "campaign",
      "create",
      "w",
      "--audience",
      "de",
      "--template",
      t,
      "--subject",
      "x",
      "--send-window",
      "24h",
    );
    const out = `${dir}/w.ndjson`;
    const s = await tesseraJson(db, "campaign", "send", "w", "--out", out);
    const lines = outbox(out);
    const reachable = ps.filter((p) => !["p0005", "p0006", "p0007", "p0008"].includes(p.id));
    expect(lines.map((l) => [l.customerId, l.to, l.body])).toEqual(
      reachable.map((p) => [p.id, p.email, `Dear ${p.first || "customer"} (${p.email})`]),
    );
    // Each at a whole hour inside [send time, + 24 h), as recorded.
    const at = Date.parse(String(s.at));
    for (const l of lines) {
      const when = Date.parse(String(l.scheduledAt));
      expect(when % 3_600_000).toBe(0);
      expect(when).toBeGreaterThanOrEqual(at);
      expect(when).toBeLessThan(at + 24 * 3_600_000);
    }
    const recorded = await tesseraJson(db, "campaign", "sends", "w", "--status", "sent");
    expect(
      (recorded.sends as { customerId: string; scheduledAt: string }[]).map((r) => [
        r.customerId,
        r.scheduledAt,
      ]),
    ).toEqual(lines.map((l) => [l.customerId, l.scheduledAt]));
  });
});
