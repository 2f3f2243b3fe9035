import { statSync } from "node:fs";
import { erasePerson } from "../../src/privacy/erasure.js";
import { openStore } from "../../src/store/open-store.js";
import { sql } from "../../src/store/sql.js";
import { report } from "../measure.js";

/**
 * argv: database, people, seed. Erases `people` people one after another, as `tessera privacy erase` does (a
 * write of the store), each named by email where they have one: first the person with the most events, then the
 * people at the 99.9th and 99th percentiles of events, then others picked by the seed. Reports each erasure's seconds, phases, rows and verification.
 */
const [db, people, seed] = process.argv.slice(2) as [string, string, string];
const store = await openStore(db);
const picked = await store.read(async (e) => {
  // The person with the most events, the ones at the 99.9th and 99th percentiles of events per person (an
  // erasure's cost grows with the row groups a person's events are spread over), then people at random.
  const ranked = await e.query(
    `WITH n AS (SELECT customer_id, count(*) AS n FROM events GROUP BY customer_id),
          q AS (SELECT quantile_disc(n, 0.999) AS p999, quantile_disc(n, 0.99) AS p99 FROM n)
     SELECT (SELECT customer_id FROM n ORDER BY n DESC, customer_id LIMIT 1) AS top,
            (SELECT min(customer_id) FROM n, q WHERE n.n = q.p999) AS p999,
            (SELECT min(customer_id) FROM n, q WHERE n.n = q.p99) AS p99`,
  );
  const fixed = ["top", "p999", "p99"].map((c) => ranked.column(c)[0] as string).slice(0, Number(people));
  const others = await e.query(
    sql`SELECT customer_id FROM customers ORDER BY ${e.dialect.hash(sql`concat(customer_id, ${seed})`)} LIMIT ${sql.raw(String(Math.max(0, Number(people) - fixed.length)))}`,
  );
  return [...fixed, ...(others.column("customer_id") as string[])];
});
const runs: Record<string, unknown>[] = [];
for (const id of picked) {
  const { name, events } = await store.read(async (e) => {
    const email = await e.query(
      sql`SELECT email FROM customers WHERE customer_id = ${id} AND email IS NOT NULL`,
    );
    const n = await e.query(sql`SELECT count(*) AS n FROM events WHERE customer_id = ${id}`);
    return { name: (email.column("email")[0] as string | undefined) ?? id, events: Number(n.column("n")[0]) };
  });
  const r = await store.write((e) => erasePerson(e, name, "bench"));
  console.error(
    `  erased a person with ${events} events: ${r.seconds.toFixed(2)} s (erase ${r.phases.erase.toFixed(2)}, scrub ${r.phases.scrub.toFixed(2)}, verify ${r.phases.verify.toFixed(2)}); tables ${r.verified.tables}, bytes ${r.verified.bytes}`,
  );
  if (!r.verified.tables || r.verified.bytes === false)
    console.error(`  still found in: ${[...r.verified.foundIn, ...r.verified.awaitingCleanup].join(", ")}`);
  runs.push({
    seconds: r.seconds,
    phases: r.phases,
    events,
    rowsRemoved: r.rowsRemoved,
    verified: r.verified,
  });
}
await store.close();
report({
  seconds: runs.reduce((a, r) => a + Number(r.seconds), 0),
  runs,
  databaseMiB: Math.round(statSync(db).size / 1048576),
});
