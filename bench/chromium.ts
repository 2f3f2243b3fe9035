import { type Browser, chromium } from "playwright-core";

/**
 * Debian's Chromium driven by playwright-core, for the dashboard's browser tests and its benchmark (Playwright's
 * own browser download cannot work here: `apt-get install chromium`, as .ci/run does). TESSERA_CHROMIUM names
 * another binary.
 */
export const CHROMIUM = process.env.TESSERA_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Headless, and without what a machine with no network beyond itself refuses: no sandbox (root in a container),
 * none of the background connections (updates, sync, safe browsing) Chromium would otherwise open.
 */
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}
