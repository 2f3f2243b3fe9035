import {
  campaignCreateOperation,
  campaignListOperation,
  campaignPreviewOperation,
  campaignRemoveOperation,
  campaignSendsOperation,
  campaignShowOperation,
} from "../operations/campaign-operations.js";
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
import {
  audienceCreateOperation,
  audienceListOperation,
  audienceMembersOperation,
  audienceRemoveOperation,
  audienceShowOperation,
  segmentChannelsOperation,
  segmentSendTimesOperation,
} from "../operations/index.js";
import type { Route } from "./route.js";

// Activation (issue 18): audiences, destinations, campaigns, and a segment's channels and send times.

/** Activation: audiences, webhook destinations, campaigns, and timing and channels. */
export const ACTIVATION_ROUTES: readonly Route[] = [
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
