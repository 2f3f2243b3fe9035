import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { serve } from "../../server/serve.js";
import type { Cli } from "../context.js";
import { intOption } from "../parse.js";

/** Resolves at the first SIGINT (Ctrl-C) or SIGTERM (a service manager's stop). */
function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

export function registerServe(program: Command, cli: Cli): void {
  program
    .command("serve")
    .description("serve every operation as JSON over HTTP (the OpenAPI document at /api/openapi.json)")
    .option(
      "--host <address>",
      "the address to listen on (default 127.0.0.1: this machine only)",
      "127.0.0.1",
    )
    .option("--port <n>", "the port to listen on (0: any free one)", "8080")
    .option("--rate-limit <n>", "requests a second per key, in bursts of twice as many (default 1000)")
    .option(
      "--upload-limit <MiB>",
      "the largest file upload (POST /api/imports/{kind}), in MiB (default 1024)",
    )
    .option(
      "--tracking-log <dir>",
      "the tracking API's write-ahead log (default: beside the database); on another disk, its syncs do not wait behind the database's",
    )
    .option(
      "--dashboard",
      "make a new admin key for the dashboard (revoking the last one made so) and print the dashboard's address with it",
    )
    .action(async (opts, cmd: Command) => {
      const { db } = cli.globals(cmd);
      const port = intOption(opts.port, "--port", 0) as number;
      if (port > 65535)
        throw new UserError("bad-option", `expected a port from 0 to 65535, got "${opts.port}"`, "--port");
      const perSecond = intOption(opts.rateLimit, "--rate-limit", 1);
      const uploadMiB = intOption(opts.uploadLimit, "--upload-limit", 1);
      const serving = await serve({
        db,
        host: opts.host,
        port,
        ...(perSecond !== undefined ? { rateLimit: { perSecond, burst: 2 * perSecond } } : {}),
        ...(uploadMiB !== undefined ? { uploadLimit: uploadMiB * 1024 * 1024 } : {}),
        ...(opts.trackingLog ? { trackingLog: opts.trackingLog } : {}),
        dashboardKey: opts.dashboard === true,
        // One JSON line per request on stdout: the request log.
        log: (line) => cli.io.out(`${JSON.stringify(line)}\n`),
        // The caller got a bare 500: the cause goes to the operator.
        internalError: (e, req) =>
          cli.io.err(
            `tessera: internal error at ${req.method} ${req.url}: ${(e as Error).message ?? e}\n${process.env.TESSERA_DEBUG ? `${(e as Error).stack ?? ""}\n` : ""}`,
          ),
      });
      cli.io.err(
        `tessera: serving ${db} at ${serving.url}/api/ (OpenAPI: ${serving.url}/api/openapi.json); Ctrl-C stops\n`,
      );
      if (serving.dashboardUrl) cli.io.err(`\n  Dashboard: ${serving.dashboardUrl}\n\n`);
      else if (opts.dashboard)
        cli.io.err("tessera: the dashboard is not built (npm run build builds it): serving the API only\n");
      const signal = await stopSignal();
      cli.io.err(`tessera: ${signal}: finishing the requests in flight, then closing ${db}\n`);
      await serving.close();
      cli.io.err("tessera: stopped\n");
    });
}
