import { rmSync } from "node:fs";
import { DuckDBInstance } from "@duckdb/node-api";
import { importFile } from "../../src/ingest/import.js";
import { openSession } from "../../src/store/open-store.js";
import { report } from "../measure.js";

/** argv: variant ("tessera" | "plain"), csv path, database path. */
const [variant, file, db] = process.argv.slice(2) as [string, string, string];
rmSync(db, { force: true });
rmSync(`${db}.wal`, { force: true });

if (variant === "plain") {
  // The baseline: DuckDB's own CSV reader into a table of the same file, nothing else.
  const instance = await DuckDBInstance.create(db);
  const conn = await instance.connect();
  const t0 = performance.now();
  await conn.run(`CREATE TABLE lines AS SELECT * FROM read_csv('${file.replaceAll("'", "''")}')`);
  const seconds = (performance.now() - t0) / 1000;
  conn.closeSync();
  instance.closeSync();
  report({ seconds });
} else {
  const engine = await openSession(db);
  const t0 = performance.now();
  const s = await importFile(engine, {
    kind: "order-lines",
    path: file,
    map: [
      "order_id=InvoiceNo",
      "sku=StockCode",
      "description=Description",
      "quantity=Quantity",
      "timestamp=InvoiceDate",
      "unit_price=UnitPrice",
      "customer_id=CustomerID",
    ],
  });
  const seconds = (performance.now() - t0) / 1000;
  engine.close();
  report({ seconds, read: s.read, customers: s.customersCreated });
}
rmSync(db, { force: true });
