/**
 * Every operation and its input schema, from one place: the contract of every front door (the CLI today, the
 * HTTP API and the dashboard next). An operation's input schema is the API's request body and its result the
 * CLI's `--json` document.
 */
import { keyCreateOperation, keyListOperation, keyRevokeOperation } from "./access-operations.js";
import { audienceExportOperation } from "./audience-export-operations.js";
import {
  audienceCreateOperation,
  audienceListOperation,
  audienceMembersOperation,
  audienceRemoveOperation,
  audienceShowOperation,
} from "./audience-operations.js";
import { budgetPlanOperation, budgetShowOperation } from "./budget-operations.js";
// activation imports: campaigns
import {
  campaignCreateOperation,
  campaignListOperation,
  campaignPreviewOperation,
  campaignRemoveOperation,
  campaignSendOperation,
  campaignSendsOperation,
  campaignShowOperation,
} from "./campaign-operations.js";
// activation imports: timing and channels
import { segmentChannelsOperation, segmentSendTimesOperation } from "./channel-operations.js";
import { clustersSegmentsOperation } from "./cluster-segment-operations.js";
import { consentCoverageOperation } from "./consent-coverage-operations.js";
import {
  consentHistoryOperation,
  consentRecordOperation,
  privacySuppressionsOperation,
  privacySuppressOperation,
  privacyUnsuppressOperation,
} from "./consent-operations.js";
import { demoOperation } from "./demo-operation.js";
// activation imports: exports
// activation imports: destinations
import {
  destinationAddOperation,
  destinationAttachOperation,
  destinationDeliveriesOperation,
  destinationDetachOperation,
  destinationListOperation,
  destinationRemoveOperation,
  destinationShowOperation,
  destinationSyncOperation,
} from "./destination-operations.js";
import {
  clusterOperation,
  clusterSaveOperation,
  clustersAssignOperation,
  clustersListOperation,
  clustersRemoveOperation,
  personasOperation,
} from "./discovery-operations.js";
// experiments imports: analysis
import { experimentAnalyzeOperation } from "./experiment-analysis-operations.js";
// experiments imports: bandits and planning
import { experimentBanditOperation } from "./experiment-bandit-operations.js";
// experiments imports: design and assignment
import {
  experimentAssignOperation,
  experimentCreateOperation,
  experimentHoldoutOperation,
  experimentHoldoutSetOperation,
  experimentListOperation,
  experimentRemoveOperation,
  experimentShowOperation,
} from "./experiment-design-operations.js";
import { experimentPlanOperation } from "./experiment-plan-operations.js";
// experiments imports: statistics
import { experimentStatsOperation } from "./experiment-stats-operations.js";
import { experimentTimelineOperation } from "./experiment-timeline-operations.js";
import { privacyFairnessOperation } from "./fairness-operations.js";
import { importBatchOperation, importOperation } from "./ingest-operations.js";
import type { AnyOperation } from "./operation.js";
// predict imports: budget
import { overviewOperation } from "./overview-operations.js";
import {
  churnEvaluateOperation,
  churnOperation,
  propensityEvaluateOperation,
  propensityFitOperation,
} from "./predict-operations.js";
import { privacyAuditEntriesOperation } from "./privacy-audit-entries-operations.js";
import { privacyAuditLogOperation } from "./privacy-audit-operations.js";
import { privacyEraseOperation } from "./privacy-erasure-operations.js";
import { privacyExportOperation } from "./privacy-export-operations.js";
import {
  privacyApplyRetentionOperation,
  privacyRetentionOperation,
  privacyRetentionSetOperation,
} from "./privacy-retention-operations.js";
import { privacySettingsOperation, privacySettingsSetOperation } from "./privacy-settings-operations.js";
import { auditOperation, auditRecordOperation, auditRunsOperation } from "./quality-operations.js";
// predict imports: churn and propensity
import {
  recommendEvaluateOperation,
  recommendFitOperation,
  recommendOperation,
} from "./recommend-operations.js";
import { segmentCheckOperation } from "./segment-check-operations.js";
import {
  segmentMeceExclusiveOperation,
  segmentMeceOperation,
  segmentOverlapOperation,
} from "./segment-coverage-operations.js";
import {
  segmentAddOperation,
  segmentDiffOperation,
  segmentExplainOperation,
  segmentListOperation,
  segmentPreviewOperation,
  segmentRefreshOperation,
  segmentRemoveOperation,
  segmentShowOperation,
} from "./segment-operations.js";
import { segmentHistoryOperation, segmentMembersOperation } from "./segment-people-operations.js";
import { statsOperation, traitSetOperation, traitsOperation } from "./store-operations.js";
import {
  clvCohortsOperation,
  clvDistributionOperation,
  rfmShowOperation,
} from "./stored-value-operations.js";
import { generateOperation } from "./synth-operations.js";
import {
  clvFitOperation,
  clvPredictOperation,
  clvValidateOperation,
  kpisOperation,
  paretoOperation,
  rfmOperation,
} from "./value-operations.js";

export * from "./access-operations.js";
export * from "./audience-export-operations.js";
export * from "./audience-operations.js";
// predict exports: budget
export * from "./budget-operations.js";
// activation exports: campaigns
export * from "./campaign-operations.js";
// activation exports: timing and channels
export * from "./channel-operations.js";
export * from "./cluster-segment-operations.js";
export * from "./consent-coverage-operations.js";
export * from "./consent-operations.js";
export * from "./demo-operation.js";
// activation exports: exports
// activation exports: destinations
export * from "./destination-operations.js";
export * from "./discovery-operations.js";
// experiments exports: analysis
export * from "./experiment-analysis-operations.js";
// experiments exports: bandits and planning
export * from "./experiment-bandit-operations.js";
// experiments exports: design and assignment
export * from "./experiment-design-operations.js";
export * from "./experiment-plan-operations.js";
// experiments exports: statistics
export * from "./experiment-stats-operations.js";
export * from "./experiment-timeline-operations.js";
export * from "./fairness-operations.js";
export * from "./ingest-operations.js";
export * from "./operation.js";
export * from "./overview-operations.js";
export * from "./predict-operations.js";
export * from "./privacy-audit-entries-operations.js";
export * from "./privacy-audit-operations.js";
export * from "./privacy-erasure-operations.js";
export * from "./privacy-export-operations.js";
export * from "./privacy-retention-operations.js";
export * from "./privacy-settings-operations.js";
export * from "./quality-operations.js";
// predict exports: churn and propensity
export * from "./recommend-operations.js";
export * from "./segment-check-operations.js";
export * from "./segment-coverage-operations.js";
export * from "./segment-operations.js";
export * from "./segment-people-operations.js";
export * from "./store-operations.js";
export * from "./stored-value-operations.js";
export * from "./synth-operations.js";
export * from "./tracking-operations.js";
export * from "./value-operations.js";

/** Every operation, in the order of the pipeline: collect, audit, segment, value, discover. */
export const OPERATIONS: readonly AnyOperation[] = [
  importOperation,
  importBatchOperation,
  generateOperation,
  statsOperation,
  overviewOperation,
  traitsOperation,
  traitSetOperation,
  auditOperation,
  auditRecordOperation,
  auditRunsOperation,
  segmentAddOperation,
  segmentListOperation,
  segmentShowOperation,
  segmentRemoveOperation,
  segmentRefreshOperation,
  segmentMembersOperation,
  segmentHistoryOperation,
  segmentPreviewOperation,
  segmentCheckOperation,
  segmentDiffOperation,
  segmentExplainOperation,
  segmentOverlapOperation,
  segmentMeceOperation,
  segmentMeceExclusiveOperation,
  rfmOperation,
  clvFitOperation,
  clvPredictOperation,
  clvValidateOperation,
  paretoOperation,
  kpisOperation,
  rfmShowOperation,
  clvDistributionOperation,
  clvCohortsOperation,
  // experiments operations: design and assignment
  experimentCreateOperation,
  experimentListOperation,
  experimentShowOperation,
  experimentRemoveOperation,
  experimentAssignOperation,
  experimentHoldoutOperation,
  experimentHoldoutSetOperation,
  // experiments operations: statistics
  experimentStatsOperation,
  // experiments operations: analysis
  experimentAnalyzeOperation,
  experimentTimelineOperation,
  // experiments operations: bandits and planning
  experimentBanditOperation,
  experimentPlanOperation,
  // predict operations: budget
  budgetPlanOperation,
  budgetShowOperation,
  // predict operations: churn and propensity
  recommendFitOperation,
  recommendOperation,
  recommendEvaluateOperation,
  churnOperation,
  churnEvaluateOperation,
  propensityFitOperation,
  propensityEvaluateOperation,
  clusterOperation,
  clusterSaveOperation,
  clustersListOperation,
  clustersAssignOperation,
  clustersRemoveOperation,
  clustersSegmentsOperation,
  personasOperation,
  audienceCreateOperation,
  audienceListOperation,
  audienceShowOperation,
  audienceRemoveOperation,
  audienceMembersOperation,
  // activation operations: exports
  audienceExportOperation,
  // activation operations: destinations
  destinationAddOperation,
  destinationListOperation,
  destinationShowOperation,
  destinationRemoveOperation,
  destinationAttachOperation,
  destinationDetachOperation,
  destinationDeliveriesOperation,
  destinationSyncOperation,
  // activation operations: campaigns
  campaignCreateOperation,
  campaignListOperation,
  campaignPreviewOperation,
  campaignRemoveOperation,
  campaignSendOperation,
  campaignSendsOperation,
  campaignShowOperation,
  // activation operations: timing and channels
  segmentChannelsOperation,
  segmentSendTimesOperation,
  keyCreateOperation,
  keyListOperation,
  keyRevokeOperation,
  privacyAuditLogOperation,
  privacyAuditEntriesOperation,
  privacyEraseOperation,
  privacyRetentionOperation,
  privacyRetentionSetOperation,
  privacyApplyRetentionOperation,
  privacyFairnessOperation,
  privacySettingsOperation,
  privacySettingsSetOperation,
  consentRecordOperation,
  consentHistoryOperation,
  consentCoverageOperation,
  privacySuppressOperation,
  privacyUnsuppressOperation,
  privacySuppressionsOperation,
  privacyExportOperation,
  demoOperation,
];

/** The operation of a name (`segment.refresh`), or undefined. */
export function operationNamed(name: string): AnyOperation | undefined {
  return OPERATIONS.find((op) => op.name === name);
}
