/**
 * `TESSERA_PROFILE=1` prints every statement that takes over 10 ms (or `TESSERA_PROFILE_MS`) to stderr, its first
 * 160 characters (or `TESSERA_PROFILE_CHARS`), with the CPU time its threads used and the memory pages the process touched for the first time
 * meanwhile (on a virtual machine that backs memory lazily, those can cost more than the work): where to look
 * when slow. Read once, at start.
 */
export const PROFILE = process.env.TESSERA_PROFILE === "1";
const MIN_MS = Number(process.env.TESSERA_PROFILE_MS ?? 10);
const CHARS = Number(process.env.TESSERA_PROFILE_CHARS ?? 160);
let faultsSeen = 0;
let cpuSeen = process.cpuUsage();

/** Prints the statement `text` if it ran for long enough since `t0` (a `performance.now()`). */
export function profileStatement(text: string, t0: number): void {
  const ms = performance.now() - t0;
  const faults = process.resourceUsage().minorPageFault;
  const fresh = faults - faultsSeen;
  faultsSeen = faults;
  // CPU time (all the engine's threads in this process): the work itself, less sensitive than the wall clock
  // to other processes on a busy machine.
  const cpu = process.cpuUsage(cpuSeen);
  cpuSeen = process.cpuUsage();
  if (ms > MIN_MS)
    process.stderr.write(
      `[sql ${ms.toFixed(0)} ms, cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, ${Math.round(fresh / 256)} MiB new] ${text.replace(/\s+/g, " ").slice(0, CHARS)}\n`,
    );
}
