import type { Engine } from "./engine.js";

/** Row counts of the main tables (the `tessera stats --json` contract). */
export interface StoreStats {
  customers: number;
  identities: number;
  events: number;
  orders: number;
  orderItems: number;
  consents: number;
  surveyResponses: number;
}

export async function storeStats(engine: Engine): Promise<StoreStats> {
  const r = await engine.query(
    `SELECT (SELECT count(*) FROM customers) AS customers, (SELECT count(*) FROM identities) AS identities,
            (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM orders) AS orders,
            (SELECT count(*) FROM order_items) AS order_items, (SELECT count(*) FROM consents) AS consents,
            (SELECT count(*) FROM survey_responses) AS survey_responses`,
  );
  const n = (c: string) => Number(r.column(c)[0]);
  return {
    customers: n("customers"),
    identities: n("identities"),
    events: n("events"),
    orders: n("orders"),
    orderItems: n("order_items"),
    consents: n("consents"),
    surveyResponses: n("survey_responses"),
  };
}
