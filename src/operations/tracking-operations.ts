import {
  BATCH_LIMIT,
  MESSAGE_LIMIT,
  type MessageProblem,
  messageRows,
  type TrackingRow,
} from "../ingest/tracking-messages.js";
import { trackingLogCodec } from "../privacy/encryption.js";
import { importBatchOperation } from "./ingest-operations.js";
import { runOperation, type Store } from "./operation.js";

/** How the server's tracking log keeps records: sealed when a key is set (src/privacy/encryption.ts). */
export { BATCH_LIMIT, MESSAGE_LIMIT, type MessageProblem, type TrackingRow, trackingLogCodec };

/** How far apart in time a message and its resending may be for the resending to be recognised (by message id). */
export const DEDUPE_DAYS = 7;

/** The calls of Segment's HTTP Tracking API: one message each, or `batch`. */
export const TRACKING_CALLS = ["track", "identify", "page", "screen", "group", "alias", "batch"] as const;
export type TrackingCall = (typeof TRACKING_CALLS)[number];

/**
 * A tracking request's body as rows for the importers, and the messages refused with their reasons (a batch with
 * some invalid messages keeps the valid ones). `receivedAt`: when the request arrived (the clock-skew correction).
 */
export function trackingRows(
  call: TrackingCall,
  body: unknown,
  receivedAt: Date,
  /** The request body's size in bytes, when known: within the message limit, no message is measured. */
  bodyBytes?: number,
): { rows: TrackingRow[]; problems: MessageProblem[]; messages: number } {
  const mayBeOversize = bodyBytes === undefined || !(bodyBytes <= MESSAGE_LIMIT);
  const rows: TrackingRow[] = [];
  const problems: MessageProblem[] = [];
  const batch = call === "batch";
  const record = body as { batch?: unknown; sentAt?: unknown } | null;
  const messages = batch ? record?.batch : [body];
  if (!Array.isArray(messages)) {
    problems.push({ index: 0, path: "batch", reason: 'a batch is {"batch": [messages…]}' });
    return { rows, problems, messages: 0 };
  }
  messages.forEach((m, i) => {
    const out = messageRows(
      m,
      i,
      receivedAt,
      batch ? record?.sentAt : undefined,
      batch ? undefined : call,
      mayBeOversize,
    );
    if ("problem" in out) problems.push(out.problem);
    else rows.push(...out.rows);
  });
  return { rows, problems, messages: messages.length };
}

/**
 * Loads tracked rows into the store (once they are in the write-ahead log): the customers rows of identify calls,
 * then the accounts rows of group calls, then the events, each kind as one `import.batch` (the same checks,
 * identity resolution and loading as a file). Accounts before events: a changed account marks the people its
 * stored group events name, and the events (new group events among them) mark their own people, so every
 * member's segments are evaluated again whichever arrived first. Loading again what was loaded changes nothing
 * (events by message id; an account's traits already hold the values), so a crash before the log's checkpoint is
 * harmless. Rows the importer rejects are returned (the log keeps them too).
 */
export async function loadTracked(store: Store, rows: readonly TrackingRow[]): Promise<{ rejected: number }> {
  let rejected = 0;
  for (const kind of ["customers", "accounts", "events"] as const) {
    const these = rows.filter((r) => r.kind === kind).map((r) => r.row);
    if (these.length === 0) continue;
    const r = await runOperation(store, importBatchOperation, {
      kind,
      rows: these,
      source: "tracking API",
      // A message sent again with other content (a client retrying after changing it) replaces nothing: kept first.
      onConflict: "keep-first",
      // A message is sent again within days (an SDK's retry, a replay after an outage): its id is looked for among
      // the events of the batch's week on either side, not among every event ever stored (issue 16: 7 days).
      dedupeWithinDays: DEDUPE_DAYS,
    });
    rejected += r.rejected;
  }
  return { rejected };
}
