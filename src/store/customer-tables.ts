/**
 * Every table that refers to a person by `customer_id`, other than `customers` itself. Identity merges
 * rewrite them and erasure clears them: a table added to the data model that holds customer ids belongs here.
 */
export const CUSTOMER_REF_TABLES = [
  "identities",
  "events",
  "orders",
  "order_items",
  "consents",
  "survey_responses",
  "segment_membership",
  "cluster_assignments",
] as const;
