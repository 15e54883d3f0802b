import { defineConfig } from 'vitest/config';

// Four suites: unit (pure, fast), integration (real Prometheus/Alertmanager/service processes),
// e2e (whole scenarios through the CLI) and docker (needs a Docker engine; `npm run test:docker`).
export default defineConfig({
  test: {
    pool: 'forks',
    globalSetup: ['test/helpers/temp-root.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 15_000 } },
      {
        extends: true,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 90_000, hookTimeout: 60_000 },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 240_000, hookTimeout: 120_000 },
      },
      {
        extends: true,
        test: { name: 'docker', include: ['test/docker/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 300_000 },
      },
    ],
  },
});
