import { rmSync } from "node:fs";
import { generate } from "../../src/synth/generate.js";
import { report } from "../measure.js";

/** argv: customers, output folder. */
const [customers, out] = process.argv.slice(2) as [string, string];
const r = await generate({ customers: Number(customers), seed: 7, outDir: out });
rmSync(out, { recursive: true, force: true });
report({ seconds: r.seconds, ...r.counts, eventsPerSecond: Math.round(r.counts.events / r.seconds) });
