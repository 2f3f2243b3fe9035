/**
 * Roles and what they may do (issue 16). Each route of the API needs one permission; a role is the set it has.
 * - admin: everything;
 * - analyst: aggregates only — sizes, reports, models fitted and their summaries — never a person's id or data;
 * - marketer: segments, audiences, destinations and campaigns, and the aggregates; person-level data only
 *   through the consent gate (issue 17: `read:consented-people`, segment members for a purpose and a channel);
 * - ingest: only the tracking API.
 */
export const ROLES = ["admin", "analyst", "marketer", "ingest"] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  /** Sizes, counts, reports and registries: no person's id or data. */
  "read:aggregates",
  /** Answers that name people: segment members, ids in a history, the audit's example ids, one customer's values. */
  "read:people",
  /**
   * People for a use, through the consent gate only: those whose latest consent to the purpose on the channel the
   * caller names is granted, less the suppression list (segment members; audiences and campaigns next).
   */
  "read:consented-people",
  /** Save, change, remove or refresh segments. */
  "write:segments",
  /**
   * Activation (issue 18): define audiences, destinations and campaigns, sync and send. Whatever leaves goes
   * through the consent gate; an export's people are read with `read:consented-people`.
   */
  "write:activation",
  /** Fit models and store their per-customer values (RFM, CLV, clusterings). */
  "write:values",
  /** Load data (rows) and change the trait registry. */
  "write:data",
  /** Send events to the tracking API. */
  "track",
  /**
   * Privacy administration: erase a person, answer an access request, record consent, retention, privacy
   * settings, the audit log. Admins only.
   */
  "manage:privacy",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  analyst: ["read:aggregates", "write:values"],
  marketer: ["read:aggregates", "read:consented-people", "write:segments", "write:activation"],
  ingest: ["track"],
};

export function allows(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}
