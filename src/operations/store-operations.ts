import { z } from "zod";
import { UserError } from "../errors.js";
import { recordSensitiveAction } from "../privacy/audit-log.js";
import { checkPersonalFlag } from "../privacy/encryption.js";
import { type StoreStats, storeStats } from "../store/stats.js";
import { listTraits, parseCategory, setTraitFlags, type Trait } from "../store/trait-registry.js";
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

export const TraitSetInput = z
  .object({
    /** The trait, as `tessera traits` lists it. */
    name: z.string().min(1),
    /** Whether the trait is personal data (left as it is when absent). */
    pii: z.boolean().optional(),
    /**
     * Its category: demographic, geographic, psychographic, behavioral, technographic, value, sensitive (what the
     * fairness check compares) or custom.
     */
    category: z.string().optional(),
  })
  .strict();

/**
 * `traits.set`: changes a registered trait's PII flag and category (an import sets them only for the traits it
 * creates). The trait must exist, and at least one change must be asked for; the result is the trait as it now is.
 */
export const traitSetOperation = defineOperation({
  name: "traits.set",
  summary: "change a trait's PII flag or category",
  input: TraitSetInput,
  access: "write",
  run: async (session, input, _emit, caller): Promise<{ trait: Trait }> => {
    const category = input.category === undefined ? undefined : parseCategory(input.category);
    if (input.pii === undefined && category === undefined)
      throw new UserError("bad-input", "nothing to change: give --pii, --no-pii or --category", "traits set");
    const traits = await listTraits(session);
    const known = traits.find((t) => t.name === input.name);
    if (known === undefined)
      throw new UserError(
        "unknown-trait",
        `no trait "${input.name}" (known: ${traits.map((t) => t.name).join(", ") || "none: import a customers file"})`,
        "traits set",
      );
    if (input.pii !== undefined && input.pii !== known.pii)
      await checkPersonalFlag(session, known, input.pii, input.pii ? "--pii" : "--no-pii");
    const changed = { ...known, pii: input.pii ?? known.pii, category: category ?? known.category };
    await session.transaction(async () => {
      await setTraitFlags(session, known.name, { pii: input.pii, category });
      // Marking a trait personal data or sensitive (or no longer) changes what the privacy gates protect.
      await recordSensitiveAction(session, {
        who: caller.who,
        action: "traits.set",
        subject: `trait=${known.name} pii=${changed.pii} category=${changed.category}`,
        people: 0,
      });
    });
    return { trait: changed };
  },
});
