import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Small facts hubops remembers per user (the first-run overlay was seen), in the XDG config folder. */
export function userStateFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'hubops', 'state.json');
}

export function readUserState(file = userStateFile()): { firstRunSeen?: boolean } {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { firstRunSeen?: boolean };
  } catch {
    return {};
  }
}

/** Best effort: a read-only home must not stop the console. */
export function writeUserState(state: { firstRunSeen?: boolean }, file = userStateFile()): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, JSON.stringify(state));
    renameSync(`${file}.tmp`, file);
  } catch {
    /* nothing to do */
  }
}
