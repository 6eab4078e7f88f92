export const EXIT = {
  ok: 0,
  /** The operation failed: a rollback, an aborted release, a failed check. */
  failed: 1,
  /** Usage or config error. */
  usage: 2,
  interrupted: 130,
} as const;
