import { z } from "zod";
import {
  type Audience,
  AudienceSchema,
  audienceMembers,
  audienceNamed,
  listAudiences,
  removeAudience,
  saveAudience,
  withAudiencePeople,
} from "../activation/audiences.js";
import { refuseIfExperimentsUse } from "../experiments/experiments.js";
import type { LeftOut } from "../privacy/consent-gate.js";
import { gated, reportMinGroup, sizeHidden } from "../privacy/k-gate.js";
import { customerCount } from "../segments/evaluate.js";
import type { Engine } from "../store/engine.js";
import { defineOperation } from "./operation.js";
import { wholeNumber } from "./schema-types.js";

/**
 * The `audience` operations (issue 18, item 1): define, list, show and remove audiences, and list an audience's
 * people. Sizes are the consented members now, through the k-gate as any size; the people only through the
 * consent gate, for the audience's own purpose and channel.
 */

export const AudienceCreateInput = AudienceSchema;

/** `audience.create`: saves an audience over existing segments. */
export const audienceCreateOperation = defineOperation({
  name: "audience.create",
  summary: "define an audience: segments for a purpose on a channel",
  input: AudienceCreateInput,
  access: "write",
  changes: ["activation"],
  run: async (session, input, _emit, caller): Promise<{ audience: Audience }> => ({
    audience: await saveAudience(session, input, caller.who),
  }),
});

/** An audience with its size now: the consented members (null when the k-gate hides it). */
export type SizedAudience = Audience & {
  readonly size: number | null;
  readonly suppressed: boolean;
  /** Members of its segments left out by the consent gate, by why (k-gated counts). */
  readonly leftOut: LeftOut;
};

/** An audience's size now, as it may leave: hidden when it, or the rest of the base, is a small group. */
async function sized(session: Engine, a: Audience, base: number, k: number): Promise<SizedAudience> {
  const { passed, leftOut } = await withAudiencePeople(session, a, async (p) => ({
    passed: p.passed,
    leftOut: p.leftOut,
  }));
  const hidden = sizeHidden(passed, base, k);
  return { ...a, size: gated(passed, hidden), suppressed: hidden, leftOut };
}

export const AudienceListInput = z.object({}).strict();

/** `audience.list`: the saved audiences, each with its size now. */
export const audienceListOperation = defineOperation({
  name: "audience.list",
  summary: "list audiences with their size now (consented members)",
  input: AudienceListInput,
  access: "read",
  run: async (session): Promise<{ audiences: SizedAudience[]; minGroup: number }> => {
    const k = await reportMinGroup(session);
    const base = await customerCount(session);
    const audiences: SizedAudience[] = [];
    for (const a of await listAudiences(session)) audiences.push(await sized(session, a, base, k));
    return { audiences, minGroup: k };
  },
});

export const AudienceIdInput = z.object({ id: z.string() }).strict();

/** `audience.show`: one audience, its size now and who its consent gate leaves out. */
export const audienceShowOperation = defineOperation({
  name: "audience.show",
  summary: "an audience: its segments, purpose, channel and size now",
  input: AudienceIdInput,
  access: "read",
  run: async (session, { id }): Promise<{ audience: SizedAudience; minGroup: number }> => {
    const a = await audienceNamed(session, id, "id");
    const k = await reportMinGroup(session);
    return { audience: await sized(session, a, await customerCount(session), k), minGroup: k };
  },
});

/** `audience.remove`: removes an audience no destination, campaign or running experiment uses. */
export const audienceRemoveOperation = defineOperation({
  name: "audience.remove",
  summary: "remove an audience no destination, campaign or running experiment uses",
  input: AudienceIdInput,
  access: "write",
  changes: ["activation"],
  run: async (session, { id }): Promise<{ removed: string }> => {
    await refuseIfExperimentsUse(session, { audience: id });
    await removeAudience(session, id);
    return { removed: id };
  },
});

export const AudienceMembersInput = z
  .object({
    id: z.string(),
    /** At most this many customers (default all). */
    limit: wholeNumber(1).optional(),
  })
  .strict();

/** `audience.members`: who is in an audience now (consented, by id). */
export const audienceMembersOperation = defineOperation({
  name: "audience.members",
  summary: "the customers in an audience now (consented members, by id)",
  input: AudienceMembersInput,
  access: "read",
  people: {
    count: (r: { customers: string[] }) => r.customers.length,
    subject: (i) => `audience=${i.id}`,
    use: (r: { purpose: string; channel: string }) => r,
  },
  run: async (
    session,
    { id, limit },
  ): Promise<{ id: string; purpose: string; channel: string; customers: string[]; leftOut: LeftOut }> => {
    const a = await audienceNamed(session, id, "id");
    const people = await audienceMembers(session, a, { limit });
    return {
      id,
      purpose: a.purpose,
      channel: a.channel,
      customers: [...people.ids],
      leftOut: people.leftOut,
    };
  },
});
