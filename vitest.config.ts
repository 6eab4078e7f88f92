import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Real daemons (dockerd, sshd, prometheus) and tmux sessions are started by the tests
    // themselves; two cores are all a machine here has, so keep the number of files in flight low.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 90_000,
    teardownTimeout: 30_000,
  },
});
