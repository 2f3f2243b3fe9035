/**
 * Errors a user can fix. They carry a stable code and say where the problem is (file, row, field, or a path
 * inside a definition), so every front door can report them the same way. Bugs stay plain exceptions.
 */
export class UserError extends Error {
  override readonly name = "UserError";
  constructor(
    readonly code: string,
    /** What is wrong, without where. */
    readonly reason: string,
    readonly where?: string,
  ) {
    super(where ? `${where}: ${reason}` : reason);
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
