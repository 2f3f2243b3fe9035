import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import type { IdentifierSource } from "./identity.js";
import type { ImportKind } from "./import-types.js";
import { emailKey, phoneKey } from "./normalize.js";

/** The identifiers each kind of row carries, as SQL over the stage `s` (`has`: does the source give a field). */
export function identifiersOf(
  engine: Engine,
  kind: ImportKind,
  has: (field: string) => boolean,
): IdentifierSource[] {
  const d = engine.dialect;
  const ids: IdentifierSource[] = [];
  const add = (cond: boolean, source: IdentifierSource) => cond && ids.push(source);
  switch (kind) {
    case "events":
      add(true, { kind: "user_id", expr: sql`coalesce(s.user_id, s.customer_id)` });
      add(true, { kind: "anonymous_id", expr: sql`s.anonymous_id` });
      // alias(previousId → userId): the earlier id is the anonymous one.
      add(has("previous_id"), { kind: "anonymous_id", expr: sql`s.previous_id` });
      // identify calls carry contact traits among their properties (only those: JSON is not read for the rest).
      add(has("properties"), {
        kind: "email",
        expr: sql`CASE WHEN s.type = 'identify' THEN ${emailKey(d, d.jsonText(sql`s.properties`, "email"))} END`,
      });
      break;
    case "customers":
      add(true, { kind: "user_id", expr: sql`s.customer_id` });
      add(has("email"), { kind: "email", expr: emailKey(d, sql`s.email`) });
      add(has("phone"), { kind: "phone", expr: phoneKey(d, sql`s.phone`) });
      break;
    case "orders":
    case "order-lines":
      add(true, { kind: "user_id", expr: sql`s.customer_id` });
      add(has("email"), { kind: "email", expr: emailKey(d, sql`s.email`) });
      break;
    default:
      add(true, { kind: "user_id", expr: sql`s.customer_id` });
  }
  return ids;
}
