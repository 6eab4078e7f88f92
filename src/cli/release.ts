import { createInterface } from 'node:readline/promises';
import type { LoadedConfig } from '../config/load.js';
import { parseDuration } from '../config/duration.js';
import type { CheckName, GateReport } from '../release/gate/gate.js';
import { OVERRIDABLE_CHECKS } from '../release/gate/gate.js';
import { LockedError, unfinishedRelease } from '../release/journal.js';
import { runRelease, type Answerer } from '../release/runner.js';
import { closeAllTargets } from '../targets/index.js';
import type { ParsedArgs } from './args.js';
import { EXIT } from './exit-codes.js';

type Values = ParsedArgs['values'];
const list = (v: Values[string]): string[] => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []);

/** Every gate answered by flags; an unanswered gate fails closed. */
export function flagAnswerer(values: Values, say: (l: string) => void): Answerer {
  const approved = new Set(list(values.approve));
  const onSoft = values['on-soft'] as string | undefined;
  const overrides = list(values.override).map((o) => {
    const i = o.indexOf('=');
    return { check: o.slice(0, i) as CheckName, reason: o.slice(i + 1) };
  });
  return {
    async preRelease(g: GateReport) {
      if (!approved.has('pre-release')) {
        say('pre-release gate: not approved (pass --approve pre-release): failing closed');
        return { choice: 'abort', overrides: [] };
      }
      return { choice: 'proceed', overrides: overrides.filter((o) => g.checks.some((c) => c.name === o.check)) };
    },
    async strategy(options) {
      const s = values.strategy as string | undefined;
      if (!s) say(`strategy gate: not answered (pass --strategy, one of ${options.join(', ')}): failing closed`);
      return s;
    },
    async manual() {
      say('manual strategy needs a person at the keyboard: failing closed');
      return 'failed';
    },
    async soft(reasons) {
      if (onSoft === 'continue') return { answer: 'continue' };
      say(`soft breach with no --on-soft answer: treated as hard (${reasons.join('; ')})`);
      return { answer: 'rollback' };
    },
    async countdown() {
      return 'elapsed';
    },
    async afterStop() {
      return 'rollback';
    },
  };
}

/** A person at a terminal, asked line by line (the console screen for releases comes later). */
export function promptAnswerer(say: (l: string) => void): Answerer {
  const ask = async (q: string): Promise<string> => {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      return (await rl.question(q)).trim();
    } finally {
      rl.close();
    }
  };
  return {
    async preRelease(g) {
      const overrides: { check: CheckName; reason: string }[] = [];
      for (const c of g.checks.filter((x) => x.status === 'block' && OVERRIDABLE_CHECKS.includes(x.name))) {
        const why = await ask(`${c.name} blocks the release (${c.detail}). Reason to override it, or Enter to leave it blocking: `);
        if (why) overrides.push({ check: c.name, reason: why });
      }
      for (;;) {
        const a = (await ask('Pre-release gate — [A] proceed  [B] abort  [C] edit scope: ')).toUpperCase();
        if (a === 'A') return { choice: 'proceed', overrides };
        if (a === 'B') return { choice: 'abort', overrides };
        if (a === 'C') return { choice: 'edit', overrides };
      }
    },
    async strategy(options) {
      if (options.length === 1) {
        const a = await ask(`Strategy: ${options[0]} — type it to confirm, Enter to abort: `);
        return a === options[0] ? a : undefined;
      }
      const a = await ask(`Strategy (${options.join(' / ')}), Enter to abort: `);
      return options.includes(a) ? a : undefined;
    },
    async manual(checklist) {
      for (const c of checklist) say(`  [ ] ${c}`);
      for (;;) {
        const a = (await ask('Manual deploy — [d] done  [f] failed: ')).toLowerCase();
        if (a === 'd') return 'done';
        if (a === 'f') return 'failed';
      }
    },
    async soft(reasons) {
      say(`soft breach: ${reasons.join('; ')}`);
      for (;;) {
        const a = (await ask('[c] continue  [r] roll back now  [e N] extend by N minutes: ')).toLowerCase();
        if (a === 'c') return { answer: 'continue' };
        if (a === 'r') return { answer: 'rollback' };
        const m = /^e\s*(\d+)$/.exec(a);
        if (m) return { answer: 'extend', minutes: Number(m[1]) };
      }
    },
    async countdown(reasons, seconds) {
      say(`HARD breach: ${reasons.join('; ')}`);
      return keyWithin(seconds, (left) => process.stdout.write(`\rautomatic rollback in ${left}s — press any key to stop it `));
    },
    async afterStop() {
      for (;;) {
        const a = (await ask('Countdown stopped — [r] roll back now  [c] continue watching: ')).toLowerCase();
        if (a === 'r') return 'rollback';
        if (a === 'c') return 'continue';
      }
    },
  };
}

function keyWithin(seconds: number, tick: (left: number) => void): Promise<'stopped' | 'elapsed'> {
  return new Promise((resolve) => {
    let left = seconds;
    const stdin = process.stdin;
    const raw = stdin.isTTY;
    if (raw) stdin.setRawMode(true);
    stdin.resume();
    const done = (r: 'stopped' | 'elapsed') => {
      clearInterval(timer);
      stdin.off('data', onKey);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
      process.stdout.write('\n');
      resolve(r);
    };
    const onKey = () => done('stopped');
    stdin.on('data', onKey);
    tick(left);
    const timer = setInterval(() => {
      left--;
      if (left <= 0) done('elapsed');
      else tick(left);
    }, 1000);
  });
}

function durationFlag(v: Values[string], name: string): number | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = parseDuration(v);
  if (ms === undefined) throw new UsageError(`--${name}: expected a duration like 30s, 5m or 1h, got "${v}"`);
  return ms;
}

export class UsageError extends Error {}

export async function runReleaseCommand(opts: {
  loaded: LoadedConfig;
  envName: string;
  args: ParsedArgs;
  interactive: boolean;
  say: (l: string) => void;
  warn: (l: string) => void;
}): Promise<number> {
  const { loaded, envName, args, say, warn } = opts;
  const v = args.values;
  const watchOnly = args.command.name === 'watch';
  try {
    const onSoft = v['on-soft'];
    if (onSoft !== undefined && onSoft !== 'continue' && onSoft !== 'rollback') throw new UsageError('--on-soft: continue or rollback');
    for (const o of list(v.override)) {
      if (!/^[a-z]+=.+/.test(o)) throw new UsageError(`--override ${o}: expected CHECK=REASON (checks that can be overridden: ${OVERRIDABLE_CHECKS.join(', ')})`);
    }
    const bump = v.bump as string | undefined;
    if (bump !== undefined && !['major', 'minor', 'patch'].includes(bump)) throw new UsageError('--bump: major, minor or patch');
    if (bump && args.positionals[0]) throw new UsageError('give a VERSION or --bump, not both');
    if (!loaded.config.environments[envName]!.release) throw new UsageError(`environment ${envName} has no release: section in ${loaded.file}`);
    if (loaded.config.readonly || v.readonly) throw new UsageError('read-only: releases are turned off (--readonly or readonly: true in the config)');
    let resumeFile: string | undefined;
    if (v.resume) {
      resumeFile = unfinishedRelease(loaded.paths.journal);
      if (!resumeFile) {
        warn('no release in progress to resume');
        return EXIT.failed;
      }
    }
    const result = await runRelease({
      loaded,
      envName,
      mode: watchOnly ? 'watch' : 'release',
      request: { ...(args.positionals[0] ? { version: args.positionals[0] } : {}), ...(bump ? { bump: bump as 'major' | 'minor' | 'patch' } : {}) },
      answerer: opts.interactive ? promptAnswerer(say) : flagAnswerer(v, say),
      out: say,
      resumeFile,
      previous: v.previous as string | undefined,
      watch: {
        durationMs: durationFlag(watchOnly ? v.duration : v['watch-duration'], watchOnly ? 'duration' : 'watch-duration'),
        intervalMs: durationFlag(watchOnly ? v.interval : v['watch-interval'], watchOnly ? 'interval' : 'watch-interval'),
      },
    });
    say(`report: ${result.report}${result.rollbackReport ? `\nrollback report: ${result.rollbackReport}` : ''}`);
    return result.exitCode;
  } catch (err) {
    if (err instanceof UsageError) {
      warn(err.message);
      return EXIT.usage;
    }
    if (err instanceof LockedError) {
      warn(err.message);
      return EXIT.failed;
    }
    warn(`release failed: ${(err as Error).message}`);
    return EXIT.failed;
  } finally {
    await closeAllTargets();
  }
}
