/**
 * A worker thread of `phone-threads.ts`: normalises the phone numbers it is sent (`normalisePhone`, the one rule)
 * and sends back their E.164 forms, in order.
 */
import { parentPort } from "node:worker_threads";
import { normalisePhone } from "./contact-normalisation.js";

parentPort?.on(
  "message",
  (m: { id: number; phones: readonly (string | null)[]; countries: readonly (string | null)[] }) => {
    const out = m.phones.map((p, i) => normalisePhone(p, m.countries[i]));
    parentPort?.postMessage({ id: m.id, out });
  },
);
