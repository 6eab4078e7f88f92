/**
 * Puts the terminal back the way we found it on every way out: quit, Ctrl-C, SIGTERM, SIGHUP and
 * a crash. Ink leaves the alternate screen on a clean unmount; this covers the paths where the
 * process ends before React gets the chance, and writes the escapes itself as a last resort.
 */
const RESTORE = '\x1b[?25h' + '\x1b[?1049l' + '\x1b[0m';

export interface Guard {
  /** Runs the restore once (idempotent), then exits with `code`, printing `message` after the restore. */
  exit(code: number, message?: string): never;
  dispose(): void;
}

export function guardTerminal(opts: {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  unmount: () => void;
  /** Last chance for the caller to flush what must not be lost (journals), before the process ends. */
  beforeExit?: () => void;
}): Guard {
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      opts.beforeExit?.();
    } catch {
      /* restoring the terminal matters more */
    }
    try {
      opts.unmount();
    } catch {
      /* the tree may already be gone */
    }
    try {
      if (opts.stdin.isTTY) opts.stdin.setRawMode(false);
    } catch {
      /* stdin may be closed (SIGHUP) */
    }
    try {
      opts.stdout.write(RESTORE);
    } catch {
      /* the terminal may be gone (SIGHUP) */
    }
  };

  const exit = (code: number, message?: string): never => {
    restore();
    if (message) process.stderr.write(message.endsWith('\n') ? message : `${message}\n`);
    process.exit(code);
  };

  const onSignal = (signal: NodeJS.Signals) => exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<string, number>)[signal]!);
  const onCrash = (err: unknown) =>
    exit(1, `hubops crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\nThe terminal has been restored.`);
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];
  for (const s of signals) process.on(s, onSignal);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  process.on('exit', restore);

  return {
    exit,
    dispose() {
      for (const s of signals) process.off(s, onSignal);
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
      process.off('exit', restore);
    },
  };
}
