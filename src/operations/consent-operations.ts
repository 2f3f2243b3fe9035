import { z } from "zod";
import { UserError } from "../errors.js";
import { CONSENT_STATUSES } from "../ingest/canonical-fields.js";
import { plausibleDates } from "../ingest/validate.js";
import { ChannelSchema, PurposeSchema } from "../privacy/consent-gate.js";
import {
  type ConsentRecord,
  type ConsentState,
  consentHistory,
  recordConsent,
} from "../privacy/consent-ledger.js";
import { resolvePerson } from "../privacy/person.js";
import {
  type Suppression,
  SuppressionReasonSchema,
  suppress,
  suppressionsInForce,
  unsuppress,
} from "../privacy/suppression.js";
import { defineOperation } from "./operation.js";
import { isoTime } from "./schema-types.js";

/**
 * Consent and the suppression list, one person at a time (issue 17, item 1): `tessera consent record|history`,
 * `tessera privacy suppress|unsuppress|suppressions`. Privacy administration (`manage:privacy`); every answer names a
 * person, so each call is recorded in the audit log (`people`).
 */

/** A person as the caller names them: a customer id, user id, email address or phone number. */
const person = z.string({
  error: "a person is required: a customer id, user id, email address or phone number",
});

export const ConsentRecordInput = z
  .object({
    person,
    purpose: PurposeSchema,
    /** The channel the consent is for; none: the purpose on every channel. */
    channel: ChannelSchema.optional(),
    status: z.enum(CONSENT_STATUSES, { error: `expected one of ${CONSENT_STATUSES.join(", ")}` }),
    /** Where the consent was given (a form, a call, a letter). */
    source: z.string().trim().min(1).max(200).optional(),
    /** When it was given (default now); a consent dated later than a day from now is refused. */
    at: isoTime.optional(),
  })
  .strict();

export interface ConsentRecorded {
  readonly customerId: string;
  readonly record: ConsentRecord;
}

/** `consent.record`: appends one consent record for a person (never an update: the ledger is append-only). */
export const consentRecordOperation = defineOperation({
  name: "consent.record",
  summary: "record a person's consent (granted, denied, withdrawn) for a purpose, on a channel or all",
  input: ConsentRecordInput,
  access: "write",
  // The channel is added by the audit log's record of the use (recordPeopleNamed): not named twice.
  people: { count: () => 1, subject: (i) => `status=${i.status}` },
  run: async (session, input): Promise<ConsentRecorded> => {
    const now = new Date();
    const at = input.at ?? now;
    const bounds = plausibleDates(now, "--at");
    if (at <= bounds.earliest || at > bounds.latest)
      throw new UserError(
        "bad-input",
        `${at.toISOString()} is not a plausible time for a consent: after 1900 and no later than a day from now`,
        "consent.record: at",
      );
    const { customerId } = await resolvePerson(session, input.person, "consent.record: person");
    const record = {
      purpose: input.purpose,
      channel: input.channel ?? null,
      status: input.status,
      source: input.source ?? null,
    };
    await recordConsent(session, { customerId, ...record, at });
    return { customerId, record: { ...record, at: at.toISOString() } };
  },
});

export const ConsentHistoryInput = z.object({ person }).strict();

export interface ConsentHistory {
  readonly customerId: string;
  /** The person's consent records, oldest first. */
  readonly records: ConsentRecord[];
  /** Per purpose (any channel) and per purpose and channel named: whether the consent gate passes them now. */
  readonly current: ConsentState[];
}

/** `consent.history`: a person's consent records in time order, and what they amount to now. */
export const consentHistoryOperation = defineOperation({
  name: "consent.history",
  summary: "a person's consent records in time order, and their consent now per purpose and channel",
  input: ConsentHistoryInput,
  access: "read",
  people: { count: () => 1 },
  run: async (session, input): Promise<ConsentHistory> => {
    const { customerId } = await resolvePerson(session, input.person, "consent.history: person");
    return { customerId, ...(await consentHistory(session, customerId)) };
  },
});

export const PrivacySuppressInput = z
  .object({
    person,
    reason: SuppressionReasonSchema,
    /** Only this channel; none: every channel. */
    channel: ChannelSchema.optional(),
  })
  .strict();

/** `privacy.suppress`: puts a person on the suppression list (every channel, or one), whatever their consent. */
export const privacySuppressOperation = defineOperation({
  name: "privacy.suppress",
  summary: "put a person on the suppression list (unsubscribed, do not contact), on every channel or one",
  input: PrivacySuppressInput,
  access: "write",
  people: { count: () => 1, subject: (i) => `reason=${i.reason}` },
  run: async (
    session,
    input,
    _emit,
    caller,
  ): Promise<{ customerId: string; suppressions: Suppression[] }> => {
    const { customerId } = await resolvePerson(session, input.person, "privacy.suppress: person");
    await suppress(session, {
      customerId,
      channel: input.channel ?? null,
      reason: input.reason,
      by: caller.who,
    });
    return { customerId, suppressions: await suppressionsInForce(session, customerId) };
  },
});

export const PrivacyUnsuppressInput = z
  .object({
    person,
    /** Only this channel's suppression; none: every suppression of the person. */
    channel: ChannelSchema.optional(),
  })
  .strict();

/** `privacy.unsuppress`: lifts a person's suppressions (all, or one channel's); the records stay in the ledger. */
export const privacyUnsuppressOperation = defineOperation({
  name: "privacy.unsuppress",
  summary: "take a person off the suppression list (every suppression, or one channel's)",
  input: PrivacyUnsuppressInput,
  access: "write",
  people: { count: () => 1 },
  run: async (
    session,
    input,
    _emit,
    caller,
  ): Promise<{ customerId: string; lifted: Suppression[]; suppressions: Suppression[] }> => {
    const { customerId } = await resolvePerson(session, input.person, "privacy.unsuppress: person");
    const lifted = await unsuppress(session, { customerId, channel: input.channel ?? null, by: caller.who });
    return { customerId, lifted, suppressions: await suppressionsInForce(session, customerId) };
  },
});

/** `privacy.suppressions`: the suppression list as it stands, by person. */
export const privacySuppressionsOperation = defineOperation({
  name: "privacy.suppressions",
  summary: "the suppression list: who must not be reached, on which channel, why and since when",
  input: z.object({}).strict(),
  access: "read",
  people: {
    count: (r: { suppressions: Suppression[] }) => new Set(r.suppressions.map((s) => s.customerId)).size,
  },
  run: async (session): Promise<{ suppressions: Suppression[] }> => ({
    suppressions: await suppressionsInForce(session),
  }),
});
