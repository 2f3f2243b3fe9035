import { z } from "zod";
import { type StoreStats, storeStats } from "../store/stats.js";
import { listTraits, type Trait } from "../store/trait-registry.js";
import { defineOperation } from "./operation.js";

export const StatsInput = z.object({}).strict();

/** `stats`: row counts of the main tables. */
export const statsOperation = defineOperation({
  name: "stats",
  summary: "count what the database holds",
  input: StatsInput,
  access: "read",
  run: (session): Promise<StoreStats> => storeStats(session),
});

export const TraitsInput = z.object({}).strict();

/** `traits`: the trait registry, every known customer trait with its type, category and pii flag. */
export const traitsOperation = defineOperation({
  name: "traits",
  summary: "list the trait registry",
  input: TraitsInput,
  access: "read",
  run: async (session): Promise<{ traits: Trait[] }> => ({ traits: await listTraits(session) }),
});
