import { z } from "zod";
import { type RecordedSync, recordSyncs } from "../activation/audience-sync.js";
import { deliverPending, type OutboxAccess, type PassResult } from "../activation/deliveries.js";
import {
  type Delivery,
  type DeliveryCounts,
  deliveryCounts,
  listDeliveries,
} from "../activation/delivery-log.js";
import {
  attachAudience,
  type Destination,
  DestinationSchema,
  destinationNamed,
  detachAudience,
  listDestinations,
  removeDestination,
  saveDestination,
} from "../activation/destinations.js";
import { maskedSecret } from "../activation/webhook-signing.js";
import type { Engine } from "../store/engine.js";
import { defineOperation, type Store } from "./operation.js";
import { wholeNumber } from "./schema-types.js";

/**
 * The `destination` operations (issue 18, item 2): webhook destinations, the audiences they receive, their
 * deliveries, and syncs. A sync records, for each attached audience, who entered and left since the destination was
 * last told (src/activation/audience-sync.ts; also after every refresh: refresh-pipeline.ts), then delivers from the
 * outbox (src/activation/deliveries.ts). A command delivers within a time budget in its own session; a server
 * delivers in the background (`deliverDue`, src/server/delivery-worker.ts) without holding the write queue while it
 * waits for receivers.
 */

/** A destination as shown: its secret masked, and how its deliveries stand. */
export type DestinationView = Destination & { readonly secret: string } & DeliveryCounts;

const NO_DELIVERIES: DeliveryCounts = { pending: 0, delivered: 0, failed: 0, lastDeliveredAt: null };

function view(d: Destination, counts: Map<string, DeliveryCounts>): DestinationView {
  return { ...d, secret: maskedSecret(), ...(counts.get(d.id) ?? NO_DELIVERIES) };
}

async function viewOf(session: Engine, id: string): Promise<DestinationView> {
  return view(await destinationNamed(session, id), await deliveryCounts(session));
}

/** `destination.add`: a webhook destination and the audiences it receives. */
export const destinationAddOperation = defineOperation({
  name: "destination.add",
  summary: "add a webhook destination (Standard Webhooks) and the audiences it receives",
  input: DestinationSchema,
  access: "write",
  changes: ["activation"],
  run: async (session, input, _emit, caller): Promise<{ destination: DestinationView }> => {
    await saveDestination(session, input, caller.who);
    return { destination: await viewOf(session, input.id) };
  },
});

export const DestinationListInput = z.object({}).strict();

/** `destination.list`: every destination with its audiences and how its deliveries stand. */
export const destinationListOperation = defineOperation({
  name: "destination.list",
  summary: "list destinations, their audiences and deliveries",
  input: DestinationListInput,
  access: "read",
  run: async (session): Promise<{ destinations: DestinationView[] }> => {
    const counts = await deliveryCounts(session);
    return { destinations: (await listDestinations(session)).map((d) => view(d, counts)) };
  },
});

export const DestinationIdInput = z.object({ id: z.string() }).strict();

/** `destination.show`: one destination. */
export const destinationShowOperation = defineOperation({
  name: "destination.show",
  summary: "a destination: its URL, audiences and deliveries (the secret is never shown)",
  input: DestinationIdInput,
  access: "read",
  run: async (session, { id }): Promise<{ destination: DestinationView }> => ({
    destination: await viewOf(session, id),
  }),
});

/** `destination.remove`: a destination and everything recorded for it; pending deliveries are never sent. */
export const destinationRemoveOperation = defineOperation({
  name: "destination.remove",
  summary: "remove a destination with its deliveries (pending ones are not sent)",
  input: DestinationIdInput,
  access: "write",
  changes: ["activation"],
  run: async (session, { id }): Promise<{ removed: string; pendingDropped: number }> => ({
    removed: id,
    ...(await removeDestination(session, id)),
  }),
});

export const DestinationAudienceInput = z.object({ id: z.string(), audience: z.string() }).strict();

/** `destination.attach`: a destination receives one more audience (its people enter at the next sync). */
export const destinationAttachOperation = defineOperation({
  name: "destination.attach",
  summary: "send an audience to a destination (its people enter at the next sync)",
  input: DestinationAudienceInput,
  access: "write",
  changes: ["activation"],
  run: async (
    session,
    { id, audience },
  ): Promise<{ destination: string; audience: string; attached: boolean }> => ({
    destination: id,
    audience,
    attached: await attachAudience(session, id, audience),
  }),
});

/** `destination.detach`: no more syncs of an audience; its pending deliveries are cancelled. */
export const destinationDetachOperation = defineOperation({
  name: "destination.detach",
  summary: "stop sending an audience to a destination (its pending deliveries are cancelled)",
  input: DestinationAudienceInput,
  access: "write",
  changes: ["activation"],
  run: async (
    session,
    { id, audience },
  ): Promise<{ destination: string; audience: string; cancelled: number }> => ({
    destination: id,
    audience,
    ...(await detachAudience(session, id, audience)),
  }),
});

export const DestinationDeliveriesInput = z
  .object({
    id: z.string(),
    /** At most this many, newest first (default 100). */
    limit: wholeNumber(1).max(10_000).optional(),
    status: z.enum(["pending", "delivered", "failed", "cancelled"]).optional(),
  })
  .strict();

/** `destination.deliveries`: a destination's deliveries, newest first. */
export const destinationDeliveriesOperation = defineOperation({
  name: "destination.deliveries",
  summary: "a destination's deliveries: status, attempts, last answer, people entered and exited",
  input: DestinationDeliveriesInput,
  access: "read",
  run: async (session, { id, limit, status }): Promise<{ destination: string; deliveries: Delivery[] }> => {
    await destinationNamed(session, id);
    return {
      destination: id,
      deliveries: await listDeliveries(session, id, {
        ...(limit !== undefined ? { limit } : {}),
        ...(status ? { status } : {}),
      }),
    };
  },
});

/** How long `destination sync` attempts deliveries by default, and at most. */
export const SYNC_BUDGET_MS = 30_000;
const MAX_BUDGET_MS = 600_000;

export const DestinationSyncInput = z
  .object({
    /** One destination (default all). */
    id: z.string().optional(),
    /** Record the audiences' changes first (default true); false only delivers what is pending. */
    record: z.boolean().optional(),
    /** Only deliveries whose next attempt is due (default false: every pending one, now, once). */
    dueOnly: z.boolean().optional(),
    /** Start no attempt after this many milliseconds (default 30,000). */
    budgetMs: wholeNumber(0).max(MAX_BUDGET_MS).optional(),
  })
  .strict();

/** What a sync did: the changes it recorded, then the pass over the outbox. */
export interface SyncResult {
  readonly recorded: readonly RecordedSync[];
  readonly delivery: PassResult;
}

/**
 * `destination.sync`: records each attached audience's changes since the destination was last told, then delivers
 * pending deliveries now (each once, in order, within the budget); what is not delivered stays pending, retried
 * by the next sync, refresh or a server.
 */
export const destinationSyncOperation = defineOperation({
  name: "destination.sync",
  summary: "send destinations who entered and left their audiences, now",
  input: DestinationSyncInput,
  access: "write",
  changes: ["activation"],
  run: async (session, input, _emit, caller): Promise<SyncResult> => {
    if (input.id !== undefined) await destinationNamed(session, input.id);
    const recorded =
      input.record === false
        ? []
        : await recordSyncs(session, {
            who: caller.who,
            ...(input.id !== undefined ? { destination: input.id } : {}),
          });
    // A command's one session serves the outbox's reads and writes (each outcome is committed as it is known).
    const access: OutboxAccess = { read: (work) => work(session), write: (work) => work(session) };
    const delivery = await deliverPending(access, {
      dueOnly: input.dueOnly ?? false,
      budgetMs: input.budgetMs ?? SYNC_BUDGET_MS,
      ...(input.id !== undefined ? { destination: input.id } : {}),
    });
    return { recorded, delivery };
  },
});

/**
 * For a server: delivers what is due from the outbox, reading and recording through the store's own sessions, so
 * that no session is held while a receiver answers. Stopped by `signal` (an attempt under way is not counted and is
 * sent again, under the same webhook-id, after a restart).
 */
export function deliverDue(
  store: Store,
  opts: { signal?: AbortSignal; budgetMs?: number } = {},
): Promise<PassResult> {
  return deliverPending(store, {
    dueOnly: true,
    budgetMs: opts.budgetMs ?? Number.POSITIVE_INFINITY,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}
