// The pre-release gate (release phase 1) and the phase-6 writes: see gate.ts for the checks.
export * from './blackout.js';
export * from './backup.js';
export * from './changelog.js';
export * from './clock.js';
export * from './collect.js';
export * from './commits.js';
export * from './gate.js';
