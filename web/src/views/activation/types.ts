/** The activation API's answers as the view reads them (src/operations/{audience,destination,campaign}-operations.ts). */

/** Members of an audience's segments the consent gate left out, by why (null: hidden by the k-gate). */
export interface LeftOut {
  readonly noConsent: number | null;
  readonly suppressionList: number | null;
  readonly suppressed: boolean;
}

export interface SizedAudience {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  /** The segments it combines, as text: `segment("a") and not segment("b")`. */
  readonly where: string;
  readonly purpose: string;
  readonly channel: string;
  readonly size: number | null;
  readonly suppressed: boolean;
  readonly leftOut: LeftOut;
}

export interface AudienceList {
  readonly audiences: readonly SizedAudience[];
  readonly minGroup: number;
}

export interface DestinationView {
  readonly id: string;
  readonly url: string;
  readonly audiences: readonly string[];
  readonly pending: number;
  readonly delivered: number;
  readonly failed: number;
  readonly lastDeliveredAt: string | null;
}

export type DeliveryStatus = "pending" | "delivered" | "failed" | "cancelled";

export interface Delivery {
  /** Its webhook-id. */
  readonly id: string;
  readonly kind: string;
  readonly audience: string | null;
  readonly sequence: number;
  readonly campaign: string | null;
  readonly sendId: string | null;
  readonly messages: number | null;
  readonly withheld: number | null;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly entered: number;
  readonly exited: number;
  readonly createdAt: string;
  readonly nextAttemptAt: string | null;
  readonly deliveredAt: string | null;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
}

export interface SyncResult {
  readonly recorded: readonly { audience: string; entered: number; exited: number }[];
  readonly delivery: {
    readonly attempted: number;
    readonly delivered: number;
    readonly failedAttempts: number;
    readonly pending: number;
  };
}

export interface Campaign {
  readonly id: string;
  readonly audience: string;
  readonly channel: string;
  readonly templateName: string;
  readonly subject: string | null;
  readonly offer: ({ readonly name: string } & Readonly<Record<string, string>>) | null;
  readonly holdout: number;
  readonly frequencyCap: { readonly text: string } | null;
  readonly sendWindowHours: number | null;
  readonly treats: { readonly experiment: string; readonly variant: string } | null;
}

/** A past send's counts by outcome (null where the k-gate hid them). */
export interface SendSummary {
  readonly sendId: string;
  readonly at: string;
  readonly sent: number | null;
  readonly heldOut: number | null;
  readonly capped: number | null;
  readonly unreachable: number | null;
  readonly suppressed: boolean;
}

export interface CampaignShow {
  readonly campaign: Campaign;
  readonly sends: readonly SendSummary[];
  readonly minGroup: number;
}

export interface PreviewExample {
  readonly customerId: string;
  readonly heldOut: boolean;
  readonly capped: boolean;
  readonly reachable: boolean;
  readonly scheduledAt: string;
  readonly subject?: string;
  readonly body?: string;
  readonly missing?: readonly string[];
  readonly error?: string;
}

export interface CampaignPreview {
  readonly campaign: string;
  readonly audience: string;
  readonly purpose: string;
  readonly channel: string;
  readonly examples: readonly PreviewExample[];
  readonly leftOut: LeftOut;
}
