import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { recordSyncs } from "../../src/activation/audience-sync.js";
import { AudienceSchema, audienceNamed, saveAudience } from "../../src/activation/audiences.js";
import { deliverPending } from "../../src/activation/deliveries.js";
import { removeDestination, saveDestination } from "../../src/activation/destinations.js";
import { refreshSegments } from "../../src/segments/segment-refresh.js";
import { saveSegment } from "../../src/segments/segment-store.js";
import { openStore } from "../../src/store/open-store.js";
import { sql } from "../../src/store/sql.js";
import { report, startTimer } from "../measure.js";

/**
 * argv: database (any engine; the issue's figure is on the 1M-customer data), changes (default 10,000), seed
 * (default 1). Issue 18's webhook target: the deltas after a refresh — who entered and who left an audience — for
 * 10,000 changes delivered to a local receiver in ≤ 2 s.
 *
 * Set-up (not timed): the largest saved segment (or, when it has fewer than twice the changes, `bench-webhook-buyers`:
 * everyone with an order, refreshed), the audience `bench-webhook` over it for marketing by email, the destination `bench-webhook` (a
 * receiver on 127.0.0.1 in this process, answering 200 at once) made afresh, and a first sync that sends the whole
 * audience as entered (timed apart: `initialSeconds`). Then the changes arrive as consent does: half of them members
 * who withdraw, half members of the segment without consent who grant it (any shortfall made up by withdrawals), as
 * ledger rows dated a second ago. Timed: recording the difference (what every refresh does after its segments:
 * `recordSyncs`, the consent gate over the audience and the difference with what the destination holds, in SQL, in
 * one transaction) and delivering it (signed, POSTed, acknowledged and recorded). The refresh itself is the segments
 * benchmark's; with consent changes alone there is nothing for it to recompute.
 */
const [db, changesText = "10000", seedText = "1"] = process.argv.slice(2) as [string, string?, string?];
const changes = Number(changesText);
const seed = Number(seedText);
const ID = "bench-webhook";

let received = 0;
let receivedBytes = 0;
let people = 0;
const receiver = createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (c: string) => {
    body += c;
  });
  req.on("end", () => {
    received++;
    receivedBytes += Buffer.byteLength(body);
    const data = (JSON.parse(body) as { data: { entered: string[]; exited: string[] } }).data;
    people += data.entered.length + data.exited.length;
    res.writeHead(200).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

const store = await openStore(db);
const setUp = startTimer();
const segment = await store.write(async (e) => {
  const largest = await e.query(
    sql`SELECT segment_id, count(*) AS n FROM segment_membership WHERE exited_at IS NULL
        GROUP BY segment_id ORDER BY n DESC, segment_id LIMIT 1`,
  );
  const found = largest.column("segment_id")[0] as string | undefined;
  // Large enough for the changes asked for (half of them withdrawals, half grants), else a segment of buyers.
  if (found && Number(largest.column("n")[0]) >= 2 * changes) return found;
  const id = `${ID}-buyers`;
  await saveSegment(e, { id, name: "Buyers", where: { orders: "count", gte: 1 } });
  const last = (await e.query("SELECT max(ts) AS t FROM events")).column("t")[0] as Date | undefined;
  await refreshSegments(e, { asOf: last ?? new Date() });
  return id;
});
await store.write(async (e) => {
  try {
    await audienceNamed(e, ID);
  } catch {
    const def = AudienceSchema.parse({
      id: ID,
      segments: { segment },
      purpose: "marketing",
      channel: "email",
    });
    await saveAudience(e, def, "bench");
  }
  try {
    await removeDestination(e, ID);
  } catch {
    // none yet
  }
  await saveDestination(
    e,
    {
      id: ID,
      url,
      secret: `whsec_${Buffer.alloc(32, 7).toString("base64")}`,
      audiences: [ID],
      allowPrivate: true,
    },
    "bench",
  );
});
console.error(`  set up in ${setUp().seconds.toFixed(1)} s: audience over segment ${segment}`);

const first = startTimer();
const initial = await store.write((e) => recordSyncs(e, { who: "bench", destination: ID }));
const initialPass = await deliverPending(store, { destination: ID, dueOnly: false, budgetMs: 3_600_000 });
const initialSeconds = first().seconds;
const audienceSize = initial[0]?.entered ?? 0;
console.error(
  `  first sync: ${audienceSize} entered in ${initialPass.delivered} deliveries, ${initialSeconds.toFixed(2)} s`,
);

// The changes: consent ledger rows, as `consent record` or an import of consents writes them.
const planned = await store.write(async (e) => {
  const d = e.dialect;
  const at = new Date(Date.now() - 1000);
  const order = d.hash(sql`concat(customer_id, ${String(seed)})`);
  const told = sql`SELECT customer_id FROM destination_members WHERE destination_id = ${ID}`;
  const candidates = sql`SELECT customer_id FROM segment_membership WHERE segment_id = ${segment} AND exited_at IS NULL
                          AND customer_id NOT IN (${told})`;
  const grantable = (
    await e.query(
      sql`SELECT customer_id FROM (${candidates}) c ORDER BY ${order} LIMIT ${sql.param(Math.floor(changes / 2), "integer")}`,
    )
  ).column("customer_id") as string[];
  const withdrawing = (
    await e.query(
      sql`SELECT customer_id FROM (${told}) t ORDER BY ${order} LIMIT ${sql.param(changes - grantable.length, "integer")}`,
    )
  ).column("customer_id") as string[];
  const insert = async (ids: string[], status: string) => {
    if (!ids.length) return;
    await e.appendTemp("_bench_consent", [{ name: "customer_id", type: "string", values: ids }]);
    await e.run(
      sql`INSERT INTO consents (customer_id, source_customer_id, purpose, channel, status, source, ts)
          SELECT customer_id, customer_id, 'marketing', 'email', ${status}, 'bench', ${at}
            FROM ${sql.temp("_bench_consent")}`,
    );
  };
  await insert(withdrawing, "withdrawn");
  await insert(grantable, "granted");
  return { withdrawn: withdrawing.length, granted: grantable.length };
});
console.error(`  changes: ${planned.withdrawn} withdrawals, ${planned.granted} grants`);

received = 0;
receivedBytes = 0;
people = 0;
const stop = startTimer();
const recordTimer = startTimer();
const recorded = await store.write((e) => recordSyncs(e, { who: "bench", destination: ID }));
const recordSeconds = recordTimer().seconds;
const pass = await deliverPending(store, { destination: ID, dueOnly: false, budgetMs: 600_000 });
const timed = stop();

await store.close();
await new Promise<void>((resolve) => receiver.close(() => resolve()));
const entered = recorded.reduce((a, r) => a + r.entered, 0);
const exited = recorded.reduce((a, r) => a + r.exited, 0);
console.error(
  `  ${entered} entered, ${exited} exited: recorded in ${recordSeconds.toFixed(2)} s, delivered (${pass.delivered} deliveries, ${receivedBytes} bytes) in ${(timed.seconds - recordSeconds).toFixed(2)} s`,
);
report({
  ...timed,
  recordSeconds,
  deliverSeconds: timed.seconds - recordSeconds,
  audienceSize,
  initialSeconds,
  changes: entered + exited,
  entered,
  exited,
  deliveries: pass.delivered,
  pending: pass.pending,
  receivedRequests: received,
  receivedPeople: people,
  receivedBytes,
});
