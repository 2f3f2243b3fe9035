import { budgetPlanOperation, budgetShowOperation } from "../operations/budget-operations.js";
import {
  campaignCreateOperation,
  campaignListOperation,
  campaignPreviewOperation,
  campaignRemoveOperation,
  campaignSendsOperation,
  campaignShowOperation,
} from "../operations/campaign-operations.js";
import { clustersSegmentsOperation } from "../operations/cluster-segment-operations.js";
import { consentCoverageOperation } from "../operations/consent-coverage-operations.js";
import {
  destinationAddOperation,
  destinationAttachOperation,
  destinationDeliveriesOperation,
  destinationDetachOperation,
  destinationListOperation,
  destinationRemoveOperation,
  destinationShowOperation,
  destinationSyncOperation,
} from "../operations/destination-operations.js";
import { experimentAnalyzeOperation } from "../operations/experiment-analysis-operations.js";
import { experimentBanditOperation } from "../operations/experiment-bandit-operations.js";
import {
  experimentAssignOperation,
  experimentCreateOperation,
  experimentHoldoutOperation,
  experimentHoldoutSetOperation,
  experimentListOperation,
  experimentRemoveOperation,
  experimentShowOperation,
} from "../operations/experiment-design-operations.js";
import { experimentPlanOperation } from "../operations/experiment-plan-operations.js";
import { experimentStatsOperation } from "../operations/experiment-stats-operations.js";
import { experimentTimelineOperation } from "../operations/experiment-timeline-operations.js";
import {
  type AnyOperation,
  audienceCreateOperation,
  audienceListOperation,
  audienceMembersOperation,
  audienceRemoveOperation,
  audienceShowOperation,
  auditOperation,
  auditRecordOperation,
  auditRunsOperation,
  clusterOperation,
  clusterSaveOperation,
  clustersAssignOperation,
  clustersListOperation,
  clustersRemoveOperation,
  clvFitOperation,
  clvPredictOperation,
  clvValidateOperation,
  consentHistoryOperation,
  consentRecordOperation,
  importBatchOperation,
  importOperation,
  kpisOperation,
  type Permission,
  paretoOperation,
  personasOperation,
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
  recommendEvaluateOperation,
  recommendFitOperation,
  recommendOperation,
  rfmOperation,
  segmentAddOperation,
  segmentChannelsOperation,
  segmentDiffOperation,
  segmentExplainOperation,
  segmentHistoryOperation,
  segmentListOperation,
  segmentMeceExclusiveOperation,
  segmentMeceOperation,
  segmentMembersOperation,
  segmentOverlapOperation,
  segmentPreviewOperation,
  segmentRefreshOperation,
  segmentRemoveOperation,
  segmentSendTimesOperation,
  segmentShowOperation,
  statsOperation,
  traitSetOperation,
  traitsOperation,
} from "../operations/index.js";
import { overviewOperation } from "../operations/overview-operations.js";
import {
  churnEvaluateOperation,
  churnOperation,
  propensityEvaluateOperation,
  propensityFitOperation,
} from "../operations/predict-operations.js";
import { privacyAuditEntriesOperation } from "../operations/privacy-audit-entries-operations.js";
import { segmentCheckOperation } from "../operations/segment-check-operations.js";
import {
  clvCohortsOperation,
  clvDistributionOperation,
  rfmShowOperation,
} from "../operations/stored-value-operations.js";

/**
 * The REST API's routes: each is one operation of the operations layer, its input assembled from the path's
 * parameters (`{id}` → the input's `id`) and either the JSON body (POST, PUT, PATCH) or the query string (GET,
 * DELETE, uploads: values typed by the operation's own schema). Reads of a resource are GET; computations whose
 * input is structured (a definition, a grouping) are POST, as search APIs do; writes are POST, PATCH or DELETE.
 * An upload's body is a file (`POST /api/imports/{kind}`: CSV, NDJSON/JSON, Parquet, gzip or not), which the server
 * copies to a temporary file and gives the operation as its one path (`files`), named by `?name=`.
 *
 * Left out on purpose: `import` of paths on the server's disk (an upload instead) and `generate` (it writes files
 * there), `demo` (it builds a database of its own) and `keys.*` (a key is made at the machine, by an admin).
 */
export interface Route {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE";
  /** OpenAPI form: `/api/segments/{id}`. */
  readonly path: string;
  readonly op: AnyOperation;
  /** What the caller's role must allow (src/access/roles.ts). */
  readonly permission: Permission;
  /**
   * The body is a file (an upload): the server streams it to a temporary file, gives the operation its path as
   * `files` (one) and its name as `name`, and takes the other fields from the query string.
   */
  readonly upload?: true;
}

export const ROUTES: readonly Route[] = [
  { method: "GET", path: "/api/stats", op: statsOperation, permission: "read:aggregates" },
  { method: "GET", path: "/api/overview", op: overviewOperation, permission: "read:aggregates" },
  { method: "GET", path: "/api/traits", op: traitsOperation, permission: "read:aggregates" },
  { method: "PATCH", path: "/api/traits/{name}", op: traitSetOperation, permission: "write:data" },
  {
    method: "POST",
    path: "/api/imports/{kind}",
    op: importOperation,
    permission: "write:data",
    upload: true,
  },
  { method: "POST", path: "/api/imports/{kind}/rows", op: importBatchOperation, permission: "write:data" },
  // Its findings give example ids.
  { method: "GET", path: "/api/audit", op: auditOperation, permission: "read:people" },
  { method: "GET", path: "/api/audit/runs", op: auditRunsOperation, permission: "read:aggregates" },
  { method: "POST", path: "/api/audit/runs", op: auditRecordOperation, permission: "write:data" },
  { method: "GET", path: "/api/segments", op: segmentListOperation, permission: "read:aggregates" },
  { method: "POST", path: "/api/segments", op: segmentAddOperation, permission: "write:segments" },
  {
    method: "POST",
    path: "/api/segments/refresh",
    op: segmentRefreshOperation,
    permission: "write:segments",
  },
  {
    method: "POST",
    path: "/api/segments/preview",
    op: segmentPreviewOperation,
    permission: "read:aggregates",
  },
  { method: "POST", path: "/api/segments/check", op: segmentCheckOperation, permission: "read:aggregates" },
  { method: "POST", path: "/api/segments/diff", op: segmentDiffOperation, permission: "read:aggregates" },
  {
    method: "POST",
    path: "/api/segments/overlap",
    op: segmentOverlapOperation,
    permission: "read:aggregates",
  },
  { method: "POST", path: "/api/segments/mece", op: segmentMeceOperation, permission: "read:aggregates" },
  {
    method: "POST",
    path: "/api/segments/mece/exclusive",
    op: segmentMeceExclusiveOperation,
    permission: "write:segments",
  },
  { method: "GET", path: "/api/segments/{id}", op: segmentShowOperation, permission: "read:aggregates" },
  { method: "DELETE", path: "/api/segments/{id}", op: segmentRemoveOperation, permission: "write:segments" },
  {
    method: "GET",
    path: "/api/segments/{id}/members",
    op: segmentMembersOperation,
    // Only who consented to the purpose on the channel of the query (?purpose=…&channel=…): a marketer may ask.
    permission: "read:consented-people",
  },
  {
    method: "GET",
    path: "/api/segments/{id}/history",
    op: segmentHistoryOperation,
    permission: "read:people",
  },
  {
    method: "GET",
    path: "/api/segments/{id}/explain",
    op: segmentExplainOperation,
    permission: "read:aggregates",
  },
  { method: "POST", path: "/api/rfm", op: rfmOperation, permission: "write:values" },
  // The stored values as they are (the dashboard's value view): aggregates through the k-gate.
  { method: "GET", path: "/api/rfm", op: rfmShowOperation, permission: "read:aggregates" },
  {
    method: "GET",
    path: "/api/clv/distribution",
    op: clvDistributionOperation,
    permission: "read:aggregates",
  },
  { method: "GET", path: "/api/clv/cohorts", op: clvCohortsOperation, permission: "read:aggregates" },
  { method: "POST", path: "/api/clv/fit", op: clvFitOperation, permission: "write:values" },
  // With `customer`, one person's values.
  {
    method: "POST",
    path: "/api/clv/predict",
    op: clvPredictOperation,
    permission: "read:people",
  },
  { method: "POST", path: "/api/clv/validate", op: clvValidateOperation, permission: "read:aggregates" },
  { method: "POST", path: "/api/recommend/fit", op: recommendFitOperation, permission: "write:values" },
  // A customer's or a segment's members' lists name people.
  { method: "POST", path: "/api/recommend", op: recommendOperation, permission: "read:people" },
  {
    method: "POST",
    path: "/api/recommend/evaluate",
    op: recommendEvaluateOperation,
    permission: "read:aggregates",
  },
  // Churn risk and launch propensity: scores stored as computed values (their reports are aggregates).
  { method: "POST", path: "/api/churn", op: churnOperation, permission: "write:values" },
  { method: "POST", path: "/api/churn/evaluate", op: churnEvaluateOperation, permission: "read:aggregates" },
  { method: "POST", path: "/api/propensity/fit", op: propensityFitOperation, permission: "write:values" },
  {
    method: "POST",
    path: "/api/propensity/evaluate",
    op: propensityEvaluateOperation,
    permission: "read:aggregates",
  },
  // experiments routes: design and assignment (assignments are counts through the k-gate: nobody is listed)
  { method: "POST", path: "/api/experiments", op: experimentCreateOperation, permission: "write:activation" },
  { method: "GET", path: "/api/experiments", op: experimentListOperation, permission: "read:aggregates" },
  {
    method: "GET",
    path: "/api/experiments/holdout",
    op: experimentHoldoutOperation,
    permission: "read:aggregates",
  },
  {
    method: "POST",
    path: "/api/experiments/holdout",
    op: experimentHoldoutSetOperation,
    permission: "write:activation",
  },
  {
    method: "GET",
    path: "/api/experiments/{id}",
    op: experimentShowOperation,
    permission: "read:aggregates",
  },
  {
    method: "DELETE",
    path: "/api/experiments/{id}",
    op: experimentRemoveOperation,
    permission: "write:activation",
  },
  {
    method: "POST",
    path: "/api/experiments/{id}/assign",
    op: experimentAssignOperation,
    permission: "write:activation",
  },
  // experiments routes: statistics (summary statistics in the body, no store read: an aggregate answer)
  {
    method: "POST",
    path: "/api/experiments/stats",
    op: experimentStatsOperation,
    permission: "read:aggregates",
  },
  // experiments routes: analysis (aggregates through the k-gate; nobody is listed)
  {
    method: "POST",
    path: "/api/experiments/{id}/analyze",
    op: experimentAnalyzeOperation,
    permission: "read:aggregates",
  },
  // The sequential analysis at several looks (the dashboard's results over time): aggregates through the k-gate.
  {
    method: "POST",
    path: "/api/experiments/{id}/timeline",
    op: experimentTimelineOperation,
    permission: "read:aggregates",
  },
  // experiments routes: bandits and planning
  // (an update writes the allocation; a plan is k-gated figures)
  {
    method: "POST",
    path: "/api/experiments/plan",
    op: experimentPlanOperation,
    permission: "read:aggregates",
  },
  {
    method: "POST",
    path: "/api/experiments/{id}/bandit",
    op: experimentBanditOperation,
    permission: "write:activation",
  },
  // predict routes: budget (a plan is segment-level figures through the k-gate, kept as the last plan)
  { method: "POST", path: "/api/budget/plan", op: budgetPlanOperation, permission: "write:values" },
  { method: "GET", path: "/api/budget", op: budgetShowOperation, permission: "read:aggregates" },
  { method: "POST", path: "/api/pareto", op: paretoOperation, permission: "read:aggregates" },
  { method: "POST", path: "/api/kpis", op: kpisOperation, permission: "read:aggregates" },
  { method: "POST", path: "/api/clusterings/preview", op: clusterOperation, permission: "read:aggregates" },
  { method: "GET", path: "/api/clusterings", op: clustersListOperation, permission: "read:aggregates" },
  { method: "POST", path: "/api/clusterings", op: clusterSaveOperation, permission: "write:values" },
  {
    method: "POST",
    path: "/api/clusterings/{name}/assign",
    op: clustersAssignOperation,
    permission: "write:values",
  },
  {
    method: "DELETE",
    path: "/api/clusterings/{name}",
    op: clustersRemoveOperation,
    permission: "write:values",
  },
  // A segment per cluster of a saved clustering: a write of segments (fitting one is write:values).
  {
    method: "POST",
    path: "/api/clusterings/{name}/segments",
    op: clustersSegmentsOperation,
    permission: "write:segments",
  },
  { method: "POST", path: "/api/personas", op: personasOperation, permission: "read:aggregates" },
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
  // Activation (issue 18): audiences are segments for a purpose on a channel; their people only through the gate.
  { method: "GET", path: "/api/audiences", op: audienceListOperation, permission: "read:aggregates" },
  { method: "POST", path: "/api/audiences", op: audienceCreateOperation, permission: "write:activation" },
  { method: "GET", path: "/api/audiences/{id}", op: audienceShowOperation, permission: "read:aggregates" },
  {
    method: "DELETE",
    path: "/api/audiences/{id}",
    op: audienceRemoveOperation,
    permission: "write:activation",
  },
  {
    method: "GET",
    path: "/api/audiences/{id}/members",
    op: audienceMembersOperation,
    permission: "read:consented-people",
  },
  // activation routes: exports
  // audience.export is not served: it writes a file on this machine, at a path the caller names (see its operation).
  // activation routes: destinations
  // Destinations: their URLs and delivery records are for those who set them up (write:activation).
  { method: "GET", path: "/api/destinations", op: destinationListOperation, permission: "write:activation" },
  { method: "POST", path: "/api/destinations", op: destinationAddOperation, permission: "write:activation" },
  {
    method: "GET",
    path: "/api/destinations/{id}",
    op: destinationShowOperation,
    permission: "write:activation",
  },
  {
    method: "DELETE",
    path: "/api/destinations/{id}",
    op: destinationRemoveOperation,
    permission: "write:activation",
  },
  {
    method: "POST",
    path: "/api/destinations/{id}/audiences",
    op: destinationAttachOperation,
    permission: "write:activation",
  },
  {
    method: "DELETE",
    path: "/api/destinations/{id}/audiences/{audience}",
    op: destinationDetachOperation,
    permission: "write:activation",
  },
  {
    method: "GET",
    path: "/api/destinations/{id}/deliveries",
    op: destinationDeliveriesOperation,
    permission: "write:activation",
  },
  {
    method: "POST",
    path: "/api/destinations/{id}/sync",
    op: destinationSyncOperation,
    permission: "write:activation",
  },
  // activation routes: campaigns
  // Campaigns: defined and sent by those who run them; previews and who got what name people (the consent-gated
  // read). Not served: campaign.send, which writes its outbox to a file named on the server's disk (as generate
  // does) until webhook destinations are its outbox there.
  { method: "GET", path: "/api/campaigns", op: campaignListOperation, permission: "read:aggregates" },
  { method: "POST", path: "/api/campaigns", op: campaignCreateOperation, permission: "write:activation" },
  { method: "GET", path: "/api/campaigns/{id}", op: campaignShowOperation, permission: "read:aggregates" },
  {
    method: "DELETE",
    path: "/api/campaigns/{id}",
    op: campaignRemoveOperation,
    permission: "write:activation",
  },
  {
    method: "GET",
    path: "/api/campaigns/{id}/preview",
    op: campaignPreviewOperation,
    permission: "read:consented-people",
  },
  {
    method: "GET",
    path: "/api/campaigns/{id}/sends",
    op: campaignSendsOperation,
    permission: "read:consented-people",
  },
  // activation routes: timing and channels
  {
    method: "GET",
    path: "/api/segments/{id}/channels",
    op: segmentChannelsOperation,
    permission: "read:aggregates",
  },
  {
    method: "GET",
    path: "/api/segments/{id}/send-times",
    op: segmentSendTimesOperation,
    permission: "read:aggregates",
  },
];

/** The path's parameters, in order: `/api/segments/{id}/members` → ["id"]. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
}

/** Whether a route takes its input from the query string rather than a JSON body. */
export function takesQuery(route: Route): boolean {
  return route.method === "GET" || route.method === "DELETE" || route.upload === true;
}

/** The input fields the server fills in for an upload (from the body), never from the query string. */
export const UPLOAD_FIELDS = ["files"] as const;
