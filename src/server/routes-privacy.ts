import { consentCoverageOperation } from "../operations/consent-coverage-operations.js";
import {
  consentHistoryOperation,
  consentRecordOperation,
  privacyApplyRetentionOperation,
  privacyAuditLogOperation,
  privacyEraseOperation,
  privacyExportOperation,
  privacyFairnessOperation,
  privacyRetentionOperation,
  privacyRetentionSetOperation,
  privacySettingsOperation,
  privacySettingsSetOperation,
  privacySuppressionsOperation,
  privacySuppressOperation,
  privacyUnsuppressOperation,
} from "../operations/index.js";
import { privacyAuditEntriesOperation } from "../operations/privacy-audit-entries-operations.js";
import type { Route } from "./route.js";

// Privacy: fairness, erasure, retention, the audit log, consent and suppression, access requests.

/** Privacy: mostly privacy administration (`manage:privacy`); the reports among them are aggregates. */
export const PRIVACY_ROUTES: readonly Route[] = [
  // Aggregates through the k-gate, like any report.
  {
    method: "GET",
    path: "/api/segments/{id}/fairness",
    op: privacyFairnessOperation,
    permission: "read:aggregates",
  },
  // Erasure and retention: privacy administration.
  { method: "POST", path: "/api/privacy/erasures", op: privacyEraseOperation, permission: "manage:privacy" },
  {
    method: "GET",
    path: "/api/privacy/retention",
    op: privacyRetentionOperation,
    permission: "manage:privacy",
  },
  {
    method: "PATCH",
    path: "/api/privacy/retention/{kind}",
    op: privacyRetentionSetOperation,
    permission: "manage:privacy",
  },
  {
    method: "POST",
    path: "/api/privacy/retention/apply",
    op: privacyApplyRetentionOperation,
    permission: "manage:privacy",
  },
  // Who read whom and changed what: privacy administration.
  {
    method: "GET",
    path: "/api/privacy/audit-log",
    op: privacyAuditLogOperation,
    permission: "manage:privacy",
  },
  {
    method: "GET",
    path: "/api/privacy/audit-log/entries",
    op: privacyAuditEntriesOperation,
    permission: "manage:privacy",
  },
  // Counts per purpose and channel through the k-gate, like any report.
  {
    method: "GET",
    path: "/api/privacy/consent-coverage",
    op: consentCoverageOperation,
    permission: "read:aggregates",
  },
  // The k every report uses is no secret; changing it is privacy administration.
  {
    method: "GET",
    path: "/api/privacy/settings",
    op: privacySettingsOperation,
    permission: "read:aggregates",
  },
  {
    method: "PATCH",
    path: "/api/privacy/settings/{name}",
    op: privacySettingsSetOperation,
    permission: "manage:privacy",
  },
  // One person's consent ledger and the suppression list: privacy administration.
  {
    method: "POST",
    path: "/api/people/{person}/consents",
    op: consentRecordOperation,
    permission: "manage:privacy",
  },
  {
    method: "GET",
    path: "/api/people/{person}/consents",
    op: consentHistoryOperation,
    permission: "manage:privacy",
  },
  {
    method: "POST",
    path: "/api/people/{person}/suppressions",
    op: privacySuppressOperation,
    permission: "manage:privacy",
  },
  {
    method: "DELETE",
    path: "/api/people/{person}/suppressions",
    op: privacyUnsuppressOperation,
    permission: "manage:privacy",
  },
  // An access request: everything held about one person, and why they are in their segments.
  { method: "GET", path: "/api/people/{person}", op: privacyExportOperation, permission: "manage:privacy" },
  {
    method: "GET",
    path: "/api/privacy/suppressions",
    op: privacySuppressionsOperation,
    permission: "manage:privacy",
  },
];
