import { budgetPlanOperation, budgetShowOperation } from "../operations/budget-operations.js";
import { clustersSegmentsOperation } from "../operations/cluster-segment-operations.js";
import {
  clusterOperation,
  clusterSaveOperation,
  clustersAssignOperation,
  clustersListOperation,
  clustersRemoveOperation,
  clvFitOperation,
  clvPredictOperation,
  clvValidateOperation,
  kpisOperation,
  paretoOperation,
  personasOperation,
  recommendEvaluateOperation,
  recommendFitOperation,
  recommendOperation,
  rfmOperation,
} from "../operations/index.js";
import {
  churnEvaluateOperation,
  churnOperation,
  propensityEvaluateOperation,
  propensityFitOperation,
} from "../operations/predict-operations.js";
import {
  clvCohortsOperation,
  clvDistributionOperation,
  rfmShowOperation,
} from "../operations/stored-value-operations.js";
import type { Route } from "./route.js";

// Computed values (RFM, CLV, recommendations, churn, propensity), the budget plan and reports on value, and
// clusterings. Three lists, not one: ROUTES has the experiments between the first and the others.

/** RFM, CLV, recommendations, churn and propensity: fitted and stored as computed values, and their reports. */
export const VALUE_ROUTES: readonly Route[] = [
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
];

/** The budget plan and the value reports beside it (Pareto, KPIs). */
export const PLANNING_ROUTES: readonly Route[] = [
  // predict routes: budget (a plan is segment-level figures through the k-gate, kept as the last plan)
  { method: "POST", path: "/api/budget/plan", op: budgetPlanOperation, permission: "write:values" },
  { method: "GET", path: "/api/budget", op: budgetShowOperation, permission: "read:aggregates" },
  { method: "POST", path: "/api/pareto", op: paretoOperation, permission: "read:aggregates" },
  { method: "POST", path: "/api/kpis", op: kpisOperation, permission: "read:aggregates" },
];

/** Clusterings (previewed, saved, assigned, made segments) and personas. */
export const CLUSTERING_ROUTES: readonly Route[] = [
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
];
