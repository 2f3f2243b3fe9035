import type { ImportKind } from "./import-types.js";

/** How a canonical column's text is parsed and checked. */
export type FieldType =
  | { readonly kind: "string" }
  | { readonly kind: "id" } // customer / order ids: trimmed; "17850.0" written by spreadsheets becomes "17850"
  | { readonly kind: "email" }
  | { readonly kind: "phone" }
  | { readonly kind: "number" }
  | { readonly kind: "timestamp" }
  | { readonly kind: "json-object" }
  | { readonly kind: "enum"; readonly values: readonly string[]; readonly default?: string };

export interface CanonicalField {
  readonly name: string;
  readonly type: FieldType;
  /** Required: the file must have the column and every row a value. */
  readonly required?: boolean;
}

const S = { kind: "string" } as const;
const ID = { kind: "id" } as const;
const NUM = { kind: "number" } as const;
const TS = { kind: "timestamp" } as const;

export const EVENT_TYPES = ["track", "page", "screen", "identify", "group", "alias"] as const;
export const CONSENT_STATUSES = ["granted", "denied", "withdrawn"] as const;

/**
 * Canonical columns of each import kind (DESIGN.md, "Import formats"). Columns not listed become traits
 * (customers), account traits (accounts) or properties (events, orders, order lines).
 */
export const CANONICAL: Record<ImportKind, readonly CanonicalField[]> = {
  customers: [
    { name: "customer_id", type: ID, required: true },
    { name: "email", type: { kind: "email" } },
    { name: "phone", type: { kind: "phone" } },
    { name: "first_name", type: S },
    { name: "last_name", type: S },
  ],
  // A company (Segment's group): its id, and every other column an account trait.
  accounts: [{ name: "account_id", type: ID, required: true }],
  events: [
    { name: "timestamp", type: TS, required: true },
    { name: "event", type: S }, // required for track events: checked per row
    { name: "type", type: { kind: "enum", values: EVENT_TYPES, default: "track" } },
    { name: "message_id", type: S },
    { name: "customer_id", type: ID },
    { name: "user_id", type: ID },
    { name: "anonymous_id", type: ID },
    { name: "previous_id", type: ID },
    { name: "properties", type: { kind: "json-object" } },
  ],
  orders: [
    { name: "order_id", type: ID },
    { name: "timestamp", type: TS, required: true },
    { name: "total", type: NUM, required: true },
    { name: "customer_id", type: ID },
    { name: "email", type: { kind: "email" } },
    { name: "currency", type: S },
  ],
  "order-lines": [
    { name: "order_id", type: ID, required: true },
    { name: "timestamp", type: TS, required: true },
    { name: "quantity", type: NUM, required: true },
    { name: "unit_price", type: NUM, required: true },
    { name: "sku", type: S },
    { name: "category", type: S },
    { name: "description", type: S },
    { name: "customer_id", type: ID },
    { name: "email", type: { kind: "email" } },
    { name: "currency", type: S },
  ],
  consents: [
    { name: "customer_id", type: ID, required: true },
    { name: "purpose", type: S, required: true },
    { name: "status", type: { kind: "enum", values: CONSENT_STATUSES }, required: true },
    { name: "timestamp", type: TS, required: true },
    { name: "channel", type: S },
    { name: "source", type: S },
  ],
  "survey-responses": [
    { name: "customer_id", type: ID, required: true },
    { name: "question", type: S, required: true },
    { name: "answer", type: S, required: true },
    { name: "timestamp", type: TS },
    { name: "survey", type: S },
  ],
};

/** Columns that are derived when the file lacks them (so they are not "required" at file level). */
export const DERIVED_WHEN_ABSENT: Partial<Record<ImportKind, string>> = {
  events: "message_id",
  orders: "order_id",
};

/** Header names are matched ignoring case, spaces and punctuation: "CustomerID" is customer_id. */
export function normalizeHeader(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}
