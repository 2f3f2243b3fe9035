import { z } from "zod";
import { checkHoldout, holdoutText, parseHoldout } from "../activation/holdout.js";
import { UserError } from "../errors.js";
import { type AssignResult, assignExperimentNamed } from "../experiments/assignment.js";
import {
  type Experiment,
  ExperimentSchema,
  experimentNamed,
  listExperiments,
  type Phase,
  phaseOf,
  type Removal,
  removeExperiment,
  saveExperiment,
} from "../experiments/experiments.js";
import {
  type GlobalHoldout,
  globalHoldoutCounts,
  readGlobalHoldout,
  writeGlobalHoldout,
} from "../experiments/global-holdout.js";
import { experimentSplit, type Split } from "../experiments/split.js";
import { recordSensitiveAction } from "../privacy/audit-log.js";
import type { Engine } from "../store/engine.js";
import { defineOperation } from "./operation.js";
import { isoTime } from "./schema-types.js";

/**
 * The experiments' design and assignment (issue 20, item 1): create, list, show and remove experiments; assign
 * their people (by hash, or from exposure events); the global holdout. Nothing here names a person: counts leave
 * through the k-gate.
 */

export const ExperimentCreateInput = ExperimentSchema;

/** An experiment as listed: its design and where it stands now. */
export interface ExperimentView extends Experiment {
  readonly phase: Phase;
}

const view = (e: Experiment, at = new Date()): ExperimentView => ({ ...e, phase: phaseOf(e, at) });

/** `experiment.create`: saves an experiment after checking its population, variants, metrics and settings. */
export const experimentCreateOperation = defineOperation({
  name: "experiment.create",
  summary: "define an experiment: a population, variants and weights, a holdout, metrics, start and end",
  input: ExperimentCreateInput,
  access: "write",
  changes: ["activation"],
  run: async (session, input, _emit, caller): Promise<{ experiment: ExperimentView }> => ({
    experiment: view(await saveExperiment(session, input, caller.who)),
  }),
});

/** `experiment.list`: the saved experiments. */
export const experimentListOperation = defineOperation({
  name: "experiment.list",
  summary: "list experiments: population, variants, holdout, metrics and phase",
  input: z.object({}).strict(),
  access: "read",
  run: async (session): Promise<{ experiments: ExperimentView[] }> => {
    const at = new Date();
    return { experiments: (await listExperiments(session)).map((e) => view(e, at)) };
  },
});

export const ExperimentIdInput = z.object({ id: z.string() }).strict();

/** `experiment.show`: an experiment's design and its planned against actual split (k-gated counts). */
export const experimentShowOperation = defineOperation({
  name: "experiment.show",
  summary: "an experiment: its design, and the planned against the actual split of its people",
  input: ExperimentIdInput,
  access: "read",
  run: async (
    session,
    { id },
  ): Promise<{ experiment: ExperimentView; split: Split; globalHoldout: number }> => {
    const e = await experimentNamed(session, id);
    return {
      experiment: view(e),
      split: await experimentSplit(session, e),
      globalHoldout: (await readGlobalHoldout(session)).share,
    };
  },
});

export const ExperimentRemoveInput = z
  .object({
    id: z.string(),
    /** Remove it even though it has assigned people (who was in which variant is lost). */
    force: z.boolean().optional(),
  })
  .strict();

/** `experiment.remove`: removes an experiment; one with assignments only with `force` (they are deleted). */
export const experimentRemoveOperation = defineOperation({
  name: "experiment.remove",
  summary: "remove an experiment (one that assigned people only with force: its assignments are deleted)",
  input: ExperimentRemoveInput,
  access: "write",
  changes: ["activation"],
  run: async (session, { id, force }): Promise<Removal> => removeExperiment(session, id, force === true),
});

export const ExperimentAssignInput = z
  .object({
    id: z.string(),
    /**
     * When the assignment took effect (default now; never later): for people another system assigned at that time,
     * or a rehearsal on past data. People already assigned keep their variant and time either way.
     */
    at: isoTime.optional(),
  })
  .strict();

/** `experiment.assign`: assigns the experiment's people not assigned yet (by hash, or from exposure events). */
export const experimentAssignOperation = defineOperation({
  name: "experiment.assign",
  summary: "assign an experiment's new people to variants (by hash of seed and id, or from exposure events)",
  input: ExperimentAssignInput,
  access: "write",
  changes: ["activation"],
  run: async (session, { id, at }): Promise<AssignResult> => {
    const now = new Date();
    if (at !== undefined && at.getTime() > now.getTime())
      throw new UserError(
        "bad-time",
        `an assignment cannot take effect later than now (${now.toISOString()})`,
        "at",
      );
    return session.transaction(() => assignExperimentNamed(session, id, at ?? now));
  },
});

/** The global holdout as shown: the share and how many customers it holds now (k-gated). */
export interface GlobalHoldoutView extends GlobalHoldout {
  readonly customers: number;
  /** Customers held out now (null: under k, or the rest is). */
  readonly heldOut: number | null;
}

async function globalHoldoutView(session: Engine): Promise<GlobalHoldoutView> {
  const g = await readGlobalHoldout(session);
  return { ...g, ...(await globalHoldoutCounts(session, g.share)) };
}

/** `experiment.holdout`: the global holdout's share and size. */
export const experimentHoldoutOperation = defineOperation({
  name: "experiment.holdout",
  summary: "the global holdout: a share of all customers kept out of every campaign and experiment",
  input: z.object({}).strict(),
  access: "read",
  run: async (session): Promise<GlobalHoldoutView> => globalHoldoutView(session),
});

export const ExperimentHoldoutSetInput = z
  .object({
    /** `5%`, or a number from 0 up to (not including) 1. */
    share: z.union([z.string(), z.number()]),
  })
  .strict();

/**
 * `experiment.holdout.set`: sets the global holdout's share (recorded in the audit log). The held-out set grows or
 * shrinks by the draw; nobody is reshuffled.
 */
export const experimentHoldoutSetOperation = defineOperation({
  name: "experiment.holdout.set",
  summary: "set the global holdout's share (recorded in the audit log)",
  input: ExperimentHoldoutSetInput,
  access: "write",
  changes: ["activation"],
  run: async (session, { share }, _emit, caller): Promise<GlobalHoldoutView & { previous: number }> => {
    const value = typeof share === "number" ? checkHoldout(share, "share") : parseHoldout(share, "share");
    if (value > 0.5)
      throw new UserError(
        "bad-holdout",
        `a global holdout of ${holdoutText(value)} keeps most customers from all marketing: at most 50%`,
        "share",
      );
    const previous = await writeGlobalHoldout(session, value, caller.who);
    await recordSensitiveAction(session, {
      who: caller.who,
      action: "experiment.holdout.set",
      subject: `global_holdout ${holdoutText(previous)} -> ${holdoutText(value)}`,
      people: 0,
    });
    return { ...(await globalHoldoutView(session)), previous };
  },
});
