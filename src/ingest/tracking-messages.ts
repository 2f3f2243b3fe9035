import { createHash } from "node:crypto";
import { BUILT_IN_ACCOUNT_COLUMNS, GROUP_ID } from "../store/accounts.js";
import { BUILT_IN_CUSTOMER_COLUMNS } from "../store/trait-registry.js";
import { toIdentifier } from "./column-plan.js";
import { EARLIEST_PLAUSIBLE, FUTURE_TOLERANCE_MS } from "./validate.js";

/**
 * Messages of Segment's HTTP Tracking API (track, identify, page, screen, group, alias; `batch` carries them),
 * checked and turned into the rows the importers take, so that tracked events go through the same validation,
 * identity resolution and loading as a file of events. What this does, by the spec:
 *
 * - `userId` or `anonymousId` is required (alias: `userId` and `previousId`); `track` needs `event`.
 * - `messageId` is kept (the store's key for deduplication); a message without one gets an id derived from its
 *   content, as a file row without one does.
 * - `timestamp` is corrected for the client's clock: when `sentAt` is given, the time is moved by the difference
 *   between when the server received the batch and `sentAt` (what Segment does). Without `timestamp`, it is the
 *   received time (corrected `originalTimestamp` when given).
 * - `context` is kept, under the event's properties as `context`, except `context.ip`: an IP address is personal
 *   data and is dropped. `properties` (track, page, screen) and `traits` (identify) become the event's properties;
 *   `page` and `screen` take `name` as their event name.
 * - An identify with a `userId` also becomes a customers row: the customer's traits (`email`, `phone`,
 *   `firstName`/`first_name`, `lastName`, and the others as traits).
 * - A group links its person to an account (`groupId`, required): the event (type `group`, `groupId` kept as its
 *   `group_id` property beside the traits, which is what membership reads) and an accounts row of the account's
 *   traits (`traits`: company size, industry, revenue…), upserted, later values winning trait by trait. A group
 *   call without traits still names the account: its row is created with none.
 */
export interface TrackingRow {
  readonly kind: "events" | "customers" | "accounts";
  readonly row: Record<string, unknown>;
}

export interface MessageProblem {
  /** The message's place in its batch (0 for a single call). */
  readonly index: number;
  readonly path: string;
  readonly reason: string;
}

/** The largest message (32 KB) and batch (500 KB), in bytes of JSON: Segment's limits. */
export const MESSAGE_LIMIT = 32 * 1024;
export const BATCH_LIMIT = 500 * 1024;

const TYPES = ["track", "identify", "page", "screen", "alias", "group"] as const;
type MessageType = (typeof TYPES)[number];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An id field: a non-empty string, or a number (some SDKs send numeric ids), as text; undefined when absent. */
function idOf(v: unknown): string | undefined | null {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "string") return v.length <= 512 ? v : null;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return null;
}

/** A time field: ISO 8601 text (or a Date's JSON); null when not a time. */
function timeOf(v: unknown): Date | null | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") return null;
  const t = new Date(v);
  return Number.isNaN(t.getTime()) ? null : t;
}

/**
 * Checks one message and turns it into rows; `receivedAt` is when the server received its request, `sentAt` the
 * batch's own (a message's `sentAt` wins). `mayBeOversize` false: the request's whole body is within the message
 * limit, so no message of it can be over (its size is then not measured: that is writing it out again).
 */
export function messageRows(
  message: unknown,
  index: number,
  receivedAt: Date,
  batchSentAt?: unknown,
  typeOfCall?: MessageType,
  mayBeOversize = true,
): { rows: TrackingRow[] } | { problem: MessageProblem } {
  const bad = (path: string, reason: string) => ({ problem: { index, path, reason } });
  if (!isObject(message)) return bad("", "a message is a JSON object");
  if (mayBeOversize && Buffer.byteLength(JSON.stringify(message)) > MESSAGE_LIMIT)
    return bad("", `the message is over ${MESSAGE_LIMIT / 1024} KB`);
  const type = (typeOfCall ?? message.type) as MessageType;
  if (!TYPES.includes(type))
    return bad("type", `"${String(message.type)}" is not a message type (${TYPES.join(", ")})`);
  const userId = idOf(message.userId);
  const anonymousId = idOf(message.anonymousId);
  const previousId = idOf(message.previousId);
  for (const [field, v] of [
    ["userId", userId],
    ["anonymousId", anonymousId],
    ["previousId", previousId],
  ] as const)
    if (v === null) return bad(field, "an id is text of at most 512 characters (or a number)");
  if (type === "alias") {
    if (!userId || !previousId)
      return bad(userId ? "previousId" : "userId", "alias needs userId and previousId");
  } else if (!userId && !anonymousId) return bad("userId", "userId or anonymousId is required");
  const groupId = type === "group" ? idOf(message.groupId) : undefined;
  if (type === "group" && !groupId)
    return bad(
      "groupId",
      groupId === null
        ? "a groupId is text of at most 512 characters (or a number)"
        : "group needs groupId (the account's id)",
    );
  const event =
    type === "track" ? message.event : type === "page" || type === "screen" ? message.name : undefined;
  if (type === "track" && (typeof event !== "string" || event.trim() === ""))
    return bad("event", "track needs the event's name");
  if (event !== undefined && event !== null && typeof event !== "string")
    return bad(type === "track" ? "event" : "name", "a name is text");
  const withTraits = type === "identify" || type === "group";
  const props = withTraits ? message.traits : message.properties;
  if (props !== undefined && props !== null && !isObject(props))
    return bad(withTraits ? "traits" : "properties", "must be a JSON object");
  // A trait named as a column Tessera fills itself would have the importer refuse the whole row at the load:
  // refused before the 200 (acknowledged, it would vanish).
  const rule = type === "group" ? ACCOUNT_COLUMNS : type === "identify" ? CUSTOMER_COLUMNS : null;
  const reserved =
    rule && isObject(props) ? Object.keys(props).find((k) => rule.names.includes(rule.field(k))) : undefined;
  if (rule && reserved !== undefined)
    return bad(`traits.${reserved}`, `"${reserved}" is ${rule.what} (${rule.names.join(", ")}), not a trait`);
  if (message.context !== undefined && message.context !== null && !isObject(message.context))
    return bad("context", "must be a JSON object");
  const stamp = timeOf(message.timestamp ?? message.originalTimestamp);
  if (stamp === null) return bad("timestamp", "not an ISO 8601 time");
  const sent = timeOf(message.sentAt ?? batchSentAt);
  if (sent === null) return bad("sentAt", "not an ISO 8601 time");
  // The client's clock is off by (sentAt − receivedAt): its times are moved by the difference.
  const skew = sent ? receivedAt.getTime() - sent.getTime() : 0;
  const at = new Date((stamp ?? receivedAt).getTime() + (stamp ? skew : 0));
  // Refused here, before the 200, as an import refuses such a date: acknowledged, it would vanish at the load.
  if (
    at.getTime() <= EARLIEST_PLAUSIBLE.getTime() ||
    at.getTime() > receivedAt.getTime() + FUTURE_TOLERANCE_MS
  )
    return bad(
      message.timestamp !== undefined ? "timestamp" : "originalTimestamp",
      `implausible time ${at.toISOString()}: on or before 1900-01-01, or more than a day after it was received`,
    );
  const { ip: _ip, ...context } = (message.context ?? {}) as Record<string, unknown>;
  const properties = {
    ...((props as Record<string, unknown> | undefined) ?? {}),
    ...(Object.keys(context).length > 0 ? { context } : {}),
    // Last: the account the event links to is the one the call names, whatever its traits hold.
    ...(groupId ? { [GROUP_ID]: groupId } : {}),
  };
  const messageId =
    idOf(message.messageId) ??
    `derived-${createHash("sha256")
      .update(JSON.stringify([type, userId, anonymousId, event, at, properties]))
      .digest("hex")
      .slice(0, 32)}`;
  const rows: TrackingRow[] = [
    {
      kind: "events",
      row: {
        message_id: messageId,
        type,
        event: event ?? null,
        user_id: userId ?? null,
        anonymous_id: anonymousId ?? null,
        previous_id: previousId ?? null,
        timestamp: at.toISOString(),
        properties,
      },
    },
  ];
  if (type === "identify" && userId && isObject(props))
    rows.push({ kind: "customers", row: customerRow(userId, props) });
  if (groupId) rows.push({ kind: "accounts", row: accountRow(groupId, isObject(props) ? props : {}) });
  return { rows };
}

/** A group's traits as an accounts row: its id, and each trait by the name a file's header would become. */
function accountRow(groupId: string, traits: Record<string, unknown>): Record<string, unknown> {
  const row: Record<string, unknown> = { account_id: groupId };
  for (const [k, v] of Object.entries(traits)) {
    if (v === undefined || v === null) continue;
    // `Employees` and `employees` are one trait: a batch's rows never hold keys differing only in case.
    row[toIdentifier(k)] = v;
  }
  return row;
}

/** The contact fields an identify's traits fill, by the names SDKs give them. */
const CONTACT_FIELDS: Record<string, string> = {
  email: "email",
  phone: "phone",
  firstname: "first_name",
  first_name: "first_name",
  lastname: "last_name",
  last_name: "last_name",
};

/**
 * The customers row field an identify trait fills: a contact field by its canonical name, any other trait by the
 * name a file's header would become (`Plan`, `plan` and `PLAN` are one trait: the rows of a batch never hold two
 * keys that differ only in case, which the importer refuses for the whole batch).
 */
function customerField(key: string): string {
  return CONTACT_FIELDS[key.toLowerCase()] ?? toIdentifier(key);
}

/** Columns a group's or an identify's trait may not be named as: what the trait's key becomes, and what it hits. */
interface ReservedColumns {
  readonly names: readonly string[];
  readonly field: (key: string) => string;
  readonly what: string;
}

/** An account's own columns (a trait key becomes a column as a file's header does). */
const ACCOUNT_COLUMNS: ReservedColumns = {
  names: BUILT_IN_ACCOUNT_COLUMNS,
  field: toIdentifier,
  what: "the name of an account's own column",
};

/** The customers' columns Tessera fills itself (first and last seen, …): not the id or the contact fields. */
const CUSTOMER_COLUMNS: ReservedColumns = {
  names: BUILT_IN_CUSTOMER_COLUMNS.filter(
    (c) => c !== "customer_id" && !Object.values(CONTACT_FIELDS).includes(c),
  ),
  field: customerField,
  what: "a column Tessera keeps itself",
};

/** An identify's traits as a customers row: the contact fields by their canonical names, the rest as traits. */
function customerRow(userId: string, traits: Record<string, unknown>): Record<string, unknown> {
  const row: Record<string, unknown> = { customer_id: userId };
  for (const [k, v] of Object.entries(traits)) {
    if (v === undefined || v === null) continue;
    const name = customerField(k);
    if (name === "customer_id") continue;
    row[name] = v;
  }
  return row;
}
