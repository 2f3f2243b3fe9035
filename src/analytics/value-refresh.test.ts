import { afterEach, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import type { Session } from "../store/store.js";
import { fitClv } from "./clv.js";
import { predictClv } from "./clv-predict.js";
import { RFM_TABLE, rfm } from "./rfm.js";
import { type OrderRow, storeWithOrders } from "./test-fixtures.js";
import { refreshValues } from "./value-refresh.js";

let engine: Session | undefined;
afterEach(() => engine?.close());

function orders(): OrderRow[] {
  const rows: OrderRow[] = [];
  for (let i = 0; i < 30; i++) {
    for (let k = 0; k <= i % 3; k++) {
      const month = String(1 + ((i + 4 * k) % 12)).padStart(2, "0");
      rows.push([
        `c${i}`,
        `2024-${month}-${String(1 + (i % 27)).padStart(2, "0")} 10:00`,
        10 + ((i * 7 + k) % 50),
      ]);
    }
  }
  return rows;
}

describe.each(TEST_ENGINES)("refreshing stored values on $name", ({ location }) => {
  it("re-runs only the producers that ran, with their last options, as of the new moment", async () => {
    engine = await storeWithOrders(location(), orders());
    expect(await refreshValues(engine, new Date("2024-12-31T00:00:00Z"))).toEqual({ rfm: null, clv: null });
    await rfm(engine, { frequency: "days", monetary: "average" });
    await fitClv(engine, { unit: "week" });
    await predictClv(engine, { months: 3 });
    const mid = await refreshValues(engine, new Date("2024-06-15T00:00:00Z"));
    // Only customers with a purchase by mid-June are scored as of then.
    expect(mid.rfm).toBeLessThan(30);
    expect(mid.clv).toBe(mid.rfm);
    const r = await engine.query(
      `SELECT count(*) AS n FROM ${RFM_TABLE} WHERE monetary <> revenue / frequency`,
    );
    expect(Number(r.column("n")[0])).toBe(0);
  });
});
