/**
 * Behavioural events: the sink that writes them and the web sessions that produce them.
 *
 * Events are written as tab-separated lines (message_id, epoch seconds, type, event, user_id,
 * anonymous_id, properties) to a temporary file that the store's engine converts to Parquet. Tabs never
 * occur in generated values, so the properties JSON needs no quoting and no escaping; every
 * properties object is assembled by concatenating pre-built fragments instead of
 * JSON.stringify, because this is the hottest path of the generator.
 */

import { CATALOG, CATEGORIES, formatCents, type Product, SKUS_PER_CATEGORY } from "./catalog.js";
import type { BufferedWriter } from "./csv-writer.js";
import { CURRENCY } from "./model.js";
import type { Channel, Device } from "./planted-personas.js";
import { draw, type Profile } from "./population.js";
import { hash32, type Random } from "./random.js";

/**
 * Writes event lines and counts them; message ids are unique per (customer, sequence).
 * A customer's lines are collected and written together: one encode call per customer is
 * noticeably cheaper than one per line.
 */
export class EventSink {
  count = 0;
  private prefix = "";
  private seq = 0;
  private pending = "";

  constructor(private readonly out: BufferedWriter) {}

  /** Starts a customer's message-id namespace (and writes the previous customer's lines). */
  startCustomer(index: number): void {
    this.flush();
    this.prefix = `m${index.toString(36)}-`;
    this.seq = 0;
  }

  /** Writes one event; `props` is the complete JSON object text. */
  emit(ts: number, type: string, event: string, userId: string, anonymousId: string, props: string): void {
    this.pending += `${this.prefix}${(this.seq++).toString(36)}\t${ts}\t${type}\t${event}\t${userId}\t${anonymousId}\t${props}\n`;
    this.count++;
    if (this.pending.length > 65_536) this.flush();
  }

  /** Hands collected lines to the writer. */
  flush(): void {
    if (this.pending.length === 0) return;
    this.out.write(this.pending);
    this.pending = "";
  }
}

/** One of a customer's devices: its anonymous id persists, as a browser cookie or app id would. */
export interface DeviceState {
  readonly kind: Device;
  readonly os: string;
  readonly anonymousId: string;
  /** Whether an identify call has tied this device to the customer yet. */
  known: boolean;
}

const HEX = "0123456789abcdef";
function hex32(x: number): string {
  let s = "";
  for (let i = 28; i >= 0; i -= 4) s += HEX[(x >>> i) & 15];
  return s;
}

/** Everything a customer's web and e-mail activity needs. */
export interface ActivityContext {
  readonly seed: number;
  readonly rng: Random;
  readonly profile: Profile;
  readonly sink: EventSink;
  readonly periodStart: number;
  readonly periodEnd: number;
  readonly devices: DeviceState[];
}

function osFor(rng: Random, kind: Device, profile: Profile): string {
  const def = profile.persona.def;
  if (kind === "desktop")
    return rng.chance(def.appleDesktop) ? "macos" : rng.chance(0.92) ? "windows" : "linux";
  const apple = rng.chance(def.appleMobile);
  if (kind === "tablet") return apple ? "ipados" : "android";
  return apple ? "ios" : "android";
}

/** The customer's device of a kind, created (with a fresh anonymous id) on first use. */
export function deviceOf(ctx: ActivityContext, kind: Device): DeviceState {
  for (const d of ctx.devices) if (d.kind === kind) return d;
  const k = ctx.devices.length;
  const anonymousId = `anon-${hex32(hash32(ctx.seed, ctx.profile.index, k, 1))}${hex32(hash32(ctx.seed, ctx.profile.index, k, 2))}`;
  const d: DeviceState = { kind, os: osFor(ctx.rng, kind, ctx.profile), anonymousId, known: false };
  ctx.devices.push(d);
  return d;
}

/** Device for a session: mostly the primary one. */
export function sessionDevice(ctx: ActivityContext): DeviceState {
  const kind = ctx.rng.chance(0.75) ? ctx.profile.primaryDevice : draw(ctx.rng, ctx.profile.persona.devices);
  return deviceOf(ctx, kind);
}

/** A product the customer is likely to look at. */
export function pickProduct(rng: Random, profile: Profile, category?: number): Product {
  const c = category ?? rng.cumulative(profile.categoryCum);
  // Popularity is skewed: low SKU numbers are the best sellers.
  const u = rng.quick();
  const n = Math.floor(u * u * SKUS_PER_CATEGORY);
  return (CATALOG[c] as readonly Product[])[n] as Product;
}

/** A line of a planned order, for the purchase funnel. */
export interface SessionLine {
  readonly product: Product;
  readonly quantity: number;
  readonly unitCents: number;
}

/** What a session is for. */
export interface SessionPlan {
  readonly start: number;
  readonly channel?: Channel;
  /** Category index of the landing page. */
  readonly landing?: number;
  /** Signup: anonymous pages, then an identify call that links the device. */
  readonly signup?: boolean;
  /** Purchase: the order's lines, id, total and completion time (the session ends then). */
  readonly order?: {
    readonly id: string;
    readonly lines: readonly SessionLine[];
    readonly totalCents: number;
    readonly at: number;
  };
}

/** Seconds between steps of a session (plus up to a minute of jitter). */
const GAP = 75;

/** Per-session cursor; one reused object instead of closures per session (hot path). */
interface Cursor {
  ctx: ActivityContext;
  userId: string;
  anon: string;
  start: number;
  step: number;
  written: number;
}
const cursor: Cursor = {
  ctx: undefined as unknown as ActivityContext,
  userId: "",
  anon: "",
  start: 0,
  step: 0,
  written: 0,
};

/** Time of the next step of the session. */
function nextAt(c: Cursor): number {
  return c.start + GAP * c.step++ + c.ctx.rng.int(60);
}

function put(c: Cursor, ts: number, type: string, event: string, props: string): void {
  if (ts >= c.ctx.periodEnd) return;
  c.ctx.sink.emit(ts, type, event, c.userId, c.anon, props);
  c.written++;
}

/** Writes one web session; returns the number of events written. */
export function webSession(ctx: ActivityContext, plan: SessionPlan): number {
  const { rng, profile } = ctx;
  const def = profile.persona.def;
  const device = sessionDevice(ctx);
  const channel = plan.channel ?? draw(rng, profile.persona.channels);
  const base = `{"device":"${device.kind}","os":"${device.os}","channel":"${channel}"`;
  const order = plan.order;
  const signup = plan.signup === true;

  const views = order ? order.lines.length + rng.poisson(0.3) : 1 + rng.poisson(0.7);
  const adds = order ? order.lines.length : rng.chance(0.2) ? 1 : 0;
  const checkout = order ? 1 : adds > 0 && rng.chance(0.3) ? 1 : 0;
  const c = cursor;
  c.ctx = ctx;
  c.userId = device.known && rng.chance(def.loginRate) ? profile.id : "";
  c.anon = device.anonymousId;
  c.step = 0;
  c.written = 0;
  // Orders need a known customer; other anonymous visits sometimes log in, most stay anonymous.
  const identifies = signup || (c.userId === "" && (order !== undefined || rng.chance(0.15)));
  const steps = 1 + views + adds + checkout + (identifies ? 1 : 0);
  c.start = Math.max(ctx.periodStart, order ? order.at - GAP * steps - 30 : plan.start);

  const landing = plan.landing ?? (rng.chance(0.5) ? -1 : rng.cumulative(profile.categoryCum));
  const landingProps =
    landing < 0
      ? `${base},"url":"/"}`
      : `${base},"url":"/c/${CATEGORIES[landing]}","category":"${CATEGORIES[landing]}"}`;
  put(c, nextAt(c), "page", "Page Viewed", landingProps);
  if (signup) identify(c, device, base, "signup");

  let first: Product | undefined;
  let cartCents = 0;
  for (let v = 0; v < views; v++) {
    const line = order?.lines[v];
    const product = line
      ? line.product
      : pickProduct(rng, profile, landing >= 0 && v === 0 ? landing : undefined);
    const cents = line ? line.unitCents : product.listCents;
    if (first === undefined) {
      first = product;
      cartCents = cents;
    }
    put(
      c,
      nextAt(c),
      "track",
      "Product Viewed",
      `${base},"url":"/p/${product.sku}","category":"${product.category}","sku":"${product.sku}","price":${formatCents(cents)}}`,
    );
  }
  if (identifies && !signup) identify(c, device, base, "login");
  for (let k = 0; k < adds; k++) {
    const line = order?.lines[k];
    const product = line ? line.product : (first as Product);
    const cents = line ? line.unitCents : product.listCents;
    put(
      c,
      nextAt(c),
      "track",
      "Product Added",
      `${base},"category":"${product.category}","sku":"${product.sku}","price":${formatCents(cents)},"quantity":${line ? line.quantity : 1}}`,
    );
  }
  if (checkout === 1) {
    const value = order ? order.totalCents : cartCents;
    put(
      c,
      nextAt(c),
      "track",
      "Checkout Started",
      `${base},"url":"/checkout","value":${formatCents(value)}}`,
    );
  }
  if (order) {
    put(
      c,
      order.at,
      "track",
      "Order Completed",
      `${base},"url":"/checkout/complete","order_id":"${order.id}","revenue":${formatCents(order.totalCents)},"currency":"${CURRENCY}"}`,
    );
  }
  return c.written;
}

/** The identify call that ties the device's anonymous id to the customer. */
function identify(c: Cursor, device: DeviceState, base: string, method: string): void {
  c.userId = c.ctx.profile.id;
  put(c, nextAt(c), "identify", "", `${base},"method":"${method}"}`);
  device.known = true;
}
