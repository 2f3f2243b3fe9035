import { UserError } from "../errors.js";

/**
 * Loads an optional package (an engine's client, installed only by those who use the engine), or says which
 * package to install: a user error naming the `--db` that asked for it, never a stack trace.
 */
export async function importOptional<T>(
  load: () => Promise<unknown>,
  what: string,
  install: string,
): Promise<T> {
  try {
    return (await load()) as T;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND")
      throw new UserError(
        "engine-not-installed",
        `${what} needs a package that is not installed: run \`${install}\``,
        "--db",
      );
    throw e;
  }
}
