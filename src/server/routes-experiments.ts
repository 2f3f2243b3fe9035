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
import type { Route } from "./route.js";

// Experiments: design and assignment, statistics, analysis, bandits and planning.

/** Experiments: designed, assigned, analysed and planned (aggregates through the k-gate: nobody is listed). */
export const EXPERIMENT_ROUTES: readonly Route[] = [
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
];
