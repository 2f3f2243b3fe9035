import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A throw-away PostgreSQL 15 server for the segment benchmark's baseline: Debian's binaries, a cluster made with
 * initdb in a folder of its own, reachable only through a Unix socket in that folder (no TCP at all), run as
 * the `postgres` system user when the benchmark runs as root (the server refuses root).
 */
export const PG_BIN = process.env.TESSERA_BENCH_PG_BIN ?? "/usr/lib/postgresql/15/bin";
const PORT = 54329;

/** Settings a user loading an analytical data set on this machine would choose (durability off for the load). */
const SETTINGS = `
listen_addresses = ''
shared_buffers = 2GB
work_mem = 256MB
maintenance_work_mem = 1GB
effective_cache_size = 12GB
max_parallel_workers_per_gather = 2
max_parallel_maintenance_workers = 2
random_page_cost = 1.1
max_wal_size = 16GB
checkpoint_timeout = 30min
wal_level = minimal
max_wal_senders = 0
fsync = off
synchronous_commit = off
full_page_writes = off
`;

function asServerUser(): string[] {
  return process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
}

function run(cmd: string, args: readonly string[]): string {
  const prefix = asServerUser();
  const [file, ...rest] = [...prefix, join(PG_BIN, cmd), ...args] as [string, ...string[]];
  return execFileSync(file, rest, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function ownByServerUser(path: string): void {
  if (process.getuid?.() !== 0) return;
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  chownSync(path, uid, gid);
}

export interface PgServer {
  readonly dataDir: string;
  readonly socketDir: string;
  readonly port: number;
}

export function pgServer(root: string): PgServer {
  return { dataDir: join(root, "data"), socketDir: join(root, "sock"), port: PORT };
}

/** Creates an empty cluster (removing any previous one). */
export function initCluster(pg: PgServer): void {
  stopServer(pg);
  rmSync(pg.dataDir, { recursive: true, force: true });
  for (const dir of [pg.dataDir, pg.socketDir]) {
    mkdirSync(dir, { recursive: true });
    ownByServerUser(dir);
  }
  run("initdb", ["-D", pg.dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"]);
  const conf = join(pg.dataDir, "postgresql.conf");
  writeFileSync(conf, `${readFileSync(conf, "utf8")}\n# tessera segment benchmark\n${SETTINGS}`);
}

export function startServer(pg: PgServer): void {
  mkdirSync(pg.socketDir, { recursive: true });
  ownByServerUser(pg.socketDir);
  run("pg_ctl", [
    "-D",
    pg.dataDir,
    "-l",
    join(pg.dataDir, "server.log"),
    "-w",
    "-t",
    "300",
    "-o",
    `-p ${pg.port} -k ${pg.socketDir}`,
    "start",
  ]);
}

/** Stops the server if it runs (fast shutdown); never throws. */
export function stopServer(pg: PgServer): void {
  if (!existsSync(join(pg.dataDir, "postmaster.pid"))) return;
  try {
    run("pg_ctl", ["-D", pg.dataDir, "-m", "fast", "-w", "-t", "120", "stop"]);
  } catch (e) {
    console.error(`  could not stop PostgreSQL in ${pg.dataDir}: ${(e as Error).message.split("\n")[0]}`);
  }
}
