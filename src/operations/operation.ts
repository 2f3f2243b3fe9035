import { userInfo } from "node:os";
import type { z } from "zod";
import type { Role } from "../access/roles.js";
import { UserError } from "../errors.js";
import { recordSensitiveAction } from "../privacy/audit-log.js";
import { chargeReport, KnownSpends, payAhead, useAhead } from "../privacy/budget-ledger.js";
import { loadPrivacySettings } from "../privacy/settings.js";
import type { Engine } from "../store/engine.js";
import { openStore } from "../store/open-store.js";
import { removeServedBy, writeServedBy } from "../store/served-by.js";
import { FOR_READING, FOR_WRITING, type Store } from "../store/store.js";
import { resultCache, TOPICS, type Topic } from "./result-cache.js";

/** Tells the caller how a long operation is going (a front door draws it; nothing depends on it). */
export type Emit<E> = (event: E) => void;

/**
 * Who asks for an operation, as the front door established it (never from the input, which the caller writes):
 * what the audit log of sensitive actions records as "who", and the role that says what they may see.
 */
export interface Caller {
  /** As the audit log names them: `cli:alice`, `key k_3f… (crm sync)`. */
  readonly who: string;
  readonly role: Role;
  /**
   * Set by the operations layer, never by a front door: the caller's answers are released with differential-privacy
   * noise, ε each (an analyst while the `dp` setting is on; the report was charged to their budget first).
   */
  readonly noise?: { readonly epsilon: string };
}

/** The person at this machine's command line: the database's owner, so an admin. */
export function localCaller(): Caller {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // A user without a passwd entry (some containers): the audit log still says it came from the CLI.
  }
  return { who: `cli:${user}`, role: "admin" };
}

interface OperationBase<S extends z.ZodType, E> {
  /** Dotted name, as the API will route it: `segment.refresh`, `clv.fit`. */
  readonly name: string;
  /** One line: what it does (help texts, the API's documentation). */
  readonly summary: string;
  /** The input, validated before anything runs; the same schema is the API's request body. */
  readonly input: S;
  /** Only for the type of `emit`: events the operation reports as it goes. */
  readonly events?: E;
}

/**
 * An operation that works on an open store, in a session of its own: `read` ones run concurrently with
 * everything else in one transaction (a consistent snapshot); `write` ones run one at a time, in the order asked.
 */
export interface StoreOperation<S extends z.ZodType, R, E = never> extends OperationBase<S, E> {
  readonly access: "read" | "write";
  /**
   * A read whose answer a server may keep in memory until a write changes one of these topics (result-cache.ts):
   * for cheap reads asked for often (the segment catalogue). Its answer is shared: callers must not change it.
   */
  readonly cachedUntil?: readonly Topic[];
  /** What a write may change (default: everything); answers kept of reads of other topics stay true. */
  readonly changes?: readonly Topic[];
  /**
   * For an operation whose answer names people (their ids or their data): each answer is recorded in the audit
   * log (who, the operation, its subject, its purpose, how many people) after it is computed and before it leaves,
   * whichever front door asked. A read that declares it opens the database for writing (the record is a write).
   */
  readonly people?: PeopleNamed<z.output<S>, NoInfer<R>>;
  /**
   * Whether the operation releases its counts with noise when `caller.noise` says so (src/privacy/dp-release.ts).
   * While `dp` is on, an analyst may run only such operations: the others are refused, not answered exactly.
   */
  readonly noised?: boolean;
  run(session: Engine, input: z.output<S>, emit: Emit<E>, caller: Caller): Promise<R>;
}

/** How an answer that names people is recorded in the audit log (`StoreOperation.people`). */
export interface PeopleNamed<I, R> {
  /** How many people the answer names. */
  count(result: R): number;
  /**
   * What it was about, without personal data (`segment=vip`). The input's `purpose` (and `channel`, added to the
   * subject), when it has them, are recorded as the use declared.
   */
  subject?(input: I): string | undefined;
  /**
   * The use the people were named for, when the input does not carry it (an audience's purpose and channel are
   * its own): read from the answer.
   */
  use?(result: R): { readonly purpose: string; readonly channel: string };
}

/** An operation that needs no open store, or opens its own (generating files, the demo's fresh database). */
export interface StandaloneOperation<S extends z.ZodType, R, E = never> extends OperationBase<S, E> {
  readonly access: "none";
  run(input: z.output<S>, emit: Emit<E>): Promise<R>;
}

export type Operation<S extends z.ZodType, R, E = never> =
  | StoreOperation<S, R, E>
  | StandaloneOperation<S, R, E>;

/** Any operation, for registries that list them. */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds operations of every input, result and event type.
export type AnyOperation = Operation<z.ZodType, any, any>;

/** Declares an operation; the identity function, there for the types. */
export function defineOperation<S extends z.ZodType, R, E = never>(
  op: Operation<S, R, E>,
): Operation<S, R, E> {
  return op;
}

/**
 * Validates an input against an operation's schema. A bad input is the caller's error: it names the operation,
 * the field (its path in the input) and the reason.
 */
export function parseInput<S extends z.ZodType>(op: { name: string; input: S }, input: unknown): z.output<S> {
  const parsed = op.input.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const at = issue?.path.map(String) ?? [];
  // An unknown field is named by its own path, as any other field is.
  if (issue?.code === "unrecognized_keys")
    throw new UserError("bad-input", "unknown field", `${op.name}: ${[...at, issue.keys[0]].join(".")}`);
  throw new UserError(
    "bad-input",
    issue?.message ?? "invalid input",
    `${op.name}: ${at.length ? at.join(".") : "input"}`,
  );
}

/**
 * Runs an operation: validates its input, then runs it in a session of the store as its access says (a
 * standalone operation is given no store). The one way every front door calls the domain.
 */
export async function runOperation<S extends z.ZodType, R, E>(
  store: Store | null,
  op: Operation<S, R, E>,
  input: z.input<S>,
  emit: Emit<E> = () => {},
  caller: Caller = localCaller(),
): Promise<R> {
  return runParsed(store, op, parseInput(op, input), emit, caller);
}

/**
 * Runs an operation on an input `parseInput` has already validated: for a front door that checks the input
 * before it opens the store (a bad input must not create a database file).
 */
export async function runParsed<S extends z.ZodType, R, E>(
  store: Store | null,
  op: Operation<S, R, E>,
  input: z.output<S>,
  emit: Emit<E> = () => {},
  caller: Caller = localCaller(),
): Promise<R> {
  if (op.access === "none") return op.run(input, emit);
  if (!store) throw new Error(`operation ${op.name} needs an open store`);
  const release = await released(store, op, caller);
  caller = release.caller;
  if (op.access === "write") {
    await release.charged;
    release.after();
    const cache = resultCache(store);
    // Committed or not, what it may have changed is read again (a failed write changes nothing; it costs a miss).
    const people = op.people;
    return store
      .write(async (s) => {
        const result = await op.run(s, input, emit, caller);
        // In the write's own session: the record and what it records commit together.
        if (people) await recordPeopleNamed(s, op.name, people, input, result, caller);
        return result;
      })
      .finally(() => cache.changed(op.changes ?? TOPICS));
  }
  const read = () => store.read((s) => op.run(s, input, emit, caller));
  // Cached answers are the same for every caller: an operation whose answer depends on who asks is not cached.
  // A noisy answer is never kept: each release is charged, and noise shared between callers could be averaged away.
  // The report is computed while its charge is written (a write of 2–6 ms: about what a cheap report takes), and
  // leaves only once the charge is recorded: a refused charge releases nothing.
  const [result] = await Promise.all([
    op.cachedUntil && !caller.noise
      ? resultCache(store).get(`${op.name} ${JSON.stringify(input)}`, op.cachedUntil, read)
      : read(),
    release.charged,
  ]);
  release.after();
  // A read that names people is recorded before its answer leaves; a failed read names no one and is not.
  const people = op.people;
  if (people && people.count(result) > 0)
    await store.write((s) => recordPeopleNamed(s, op.name, people, input, result, caller));
  return result;
}

/** Each exclusive store's spent totals (budget-ledger.ts, `KnownSpends`). */
const spendsByStore = new WeakMap<Store, KnownSpends>();

function knownSpends(store: Store): KnownSpends {
  const known = spendsByStore.get(store) ?? new KnownSpends();
  spendsByStore.set(store, known);
  return known;
}

/**
 * How an operation's answer is released to this caller (issue 17, item 3): as computed, or, for an analyst while
 * the `dp` setting is on, with noise — the report charged to their budget, the charge recorded before the answer
 * leaves (refused, with the budget shown, once it is spent), and an operation that does not add noise refused
 * outright.
 */
async function released<S extends z.ZodType, R, E>(
  store: Store,
  op: StoreOperation<S, R, E>,
  caller: Caller,
): Promise<{ readonly caller: Caller; readonly charged: Promise<unknown>; readonly after: () => void }> {
  const free = { caller, charged: Promise.resolve(), after: () => {} };
  if (caller.role !== "analyst") return free;
  // Asked at every analyst's request (a dashboard polls): kept in memory until a write changes the settings.
  const settings = await resultCache(store).get("privacy.settings", ["privacy"], () =>
    store.read((s) => loadPrivacySettings(s)),
  );
  if (!settings.dp) return free;
  if (!op.noised)
    throw new UserError(
      "not-under-dp",
      `${op.name} is not released to analysts while differential privacy is on (the dp setting): its figures are not noised yet`,
      op.name,
    );
  const noisy = { ...caller, noise: { epsilon: settings.dp_epsilon_per_query } };
  // Charged while the report is computed, awaited before anything is released (refused: the budget is spent).
  if (!store.exclusive)
    return {
      caller: noisy,
      charged: store.write((s) => chargeReport(s, caller.who, op.name, settings)),
      after: () => {},
    };
  // Where the store keeps the spends, the report's ε was usually recorded ahead, after the key's previous report:
  // then nothing is written before this one leaves, and the next one's ε is recorded after it, off its path. A
  // report made while that write is still under way waits for it (while it is computed), then uses it.
  const known = knownSpends(store);
  let used = useAhead(known, caller.who, op.name, settings);
  const charge = async () => {
    await known.aheadWritten(caller.who);
    used = useAhead(known, caller.who, op.name, settings);
    if (!used) await store.write((s) => chargeReport(s, caller.who, op.name, settings, new Date(), known));
  };
  return {
    caller: noisy,
    charged: used ? Promise.resolve() : charge(),
    after: () => {
      // Not awaited: a failure leaves nothing recorded ahead, and the next report is charged before it leaves.
      known.writingAhead(
        caller.who,
        store.write((s) => payAhead(s, caller.who, settings, known, used ?? undefined)).catch(() => {}),
      );
    },
  };
}

/** Records an answer that names people in the audit log (`StoreOperation.people`). */
function recordPeopleNamed<I, R>(
  session: Engine,
  action: string,
  people: PeopleNamed<I, R>,
  input: I,
  result: R,
  caller: Caller,
): Promise<void> {
  const named = people.count(result);
  // An answer that names no one is no read of person-level data (an empty list, a history without ids).
  if (named === 0) return Promise.resolve();
  // The use the caller declared, as the consent gate took it: the input's purpose and channel.
  const { purpose, channel } = people.use?.(result) ?? (input as { purpose?: unknown; channel?: unknown });
  const subject = [people.subject?.(input), typeof channel === "string" ? `channel=${channel}` : undefined];
  return recordSensitiveAction(session, {
    who: caller.who,
    action,
    subject: subject.filter((x) => x !== undefined).join(" ") || undefined,
    purpose: typeof purpose === "string" ? purpose : null,
    people: named,
  });
}

/**
 * Runs an operation on the database at `path`: the input is checked first (a bad one must not leave a new, empty
 * database file behind), then the database is opened for it — only if the operation needs one: created by an
 * operation that writes, required to exist and opened read-only by one that reads — and closed.
 * For a front door that serves one call per process (the CLI); a server keeps its store open.
 */
export async function runOnDatabase<S extends z.ZodType, R, E>(
  path: string,
  op: Operation<S, R, E>,
  input: z.input<S>,
  emit: Emit<E> = () => {},
  caller: Caller = localCaller(),
): Promise<R> {
  const parsed = parseInput(op, input);
  if (op.access === "none") return runParsed(null, op, parsed, emit);
  // Only a command that writes creates the database; one that reads needs it to exist, and opens it read-only,
  // unless its answer names people: that is recorded in the audit log, a write.
  const store = await openStore(
    path,
    op.access === "write" ? FOR_WRITING : op.people ? { ...FOR_WRITING, create: false } : FOR_READING,
  );
  try {
    return await runParsed(store, op, parsed, emit, caller);
  } finally {
    await store.close();
  }
}

/** The store a front door holds open for many calls (the server's), as `runParsed` takes it. */
export type { Store };

/**
 * Opens the database at `path` for a front door that serves many calls while it runs (the server): created when
 * missing, as a command that writes would create it, and brought to the current schema. The caller closes it.
 */
export function openForServing(path: string): Promise<Store> {
  return openStore(path, FOR_WRITING);
}

/**
 * Says beside the database that a server at `url` holds it, so that a command meeting its lock names the server;
 * returns how to take the note back when the server stops.
 */
export function announceServer(path: string, url: string): () => void {
  writeServedBy(path, { url, pid: process.pid });
  return () => removeServedBy(path);
}
