import { describe, expect, it } from 'vitest';
import { imageTrouble, pullProblem } from '../../../scripts/runtime/docker/pull-problem.ts';

// The engine's own words for each cause (dockerd 20-27, Docker Hub, GHCR).
describe('pull failures by cause, with the exact fix', () => {
  it.each([
    ['offline', '(HTTP code 500) server error - Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host'],
    ['not-found', '(HTTP code 404) unexpected - manifest for grafana/loki:9.9.9 not found: manifest unknown: manifest unknown'],
    ['not-found', 'pull access denied for sandbox/nope, repository does not exist or may require \'docker login\': denied: requested access to the resource is denied'],
    ['unauthorized', 'Head "https://ghcr.io/v2/acme/x/manifests/1": unauthorized: authentication required'],
    ['rate-limited', 'toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading'],
    ['other', 'devmapper: Thin Pool has 0 free data blocks'],
  ] as const)('%s: %s', (problem, message) => {
    expect(pullProblem(message)).toBe(problem);
  });

  it('an optional component: docker pull, the override variable, or --without', () => {
    const t = imageTrouble('grafana/loki:3.7.6', 'dial tcp: lookup registry-1.docker.io: no such host', 'SANDBOX_LOKI_IMAGE', 'loki');
    expect(t.reason).toBe('image grafana/loki:3.7.6 could not be pulled: the registry cannot be reached (offline, a proxy, or DNS) (dial tcp: lookup registry-1.docker.io: no such host)');
    expect(t.hint).toBe('once online, `docker pull grafana/loki:3.7.6`; or set SANDBOX_LOKI_IMAGE to an image you have (`docker images`); or leave it out with `--without loki`');
  });

  it('a required one cannot be left out; credentials and rate limits say docker login', () => {
    expect(imageTrouble('prom/prometheus:v3.14.0', 'unauthorized', 'SANDBOX_PROMETHEUS_IMAGE', undefined).hint).not.toContain('--without');
    expect(imageTrouble('a/b:1', 'toomanyrequests', undefined, undefined).hint).toMatch(/^`docker login`/);
    expect(imageTrouble('a/b:1', 'unauthorized: authentication required', undefined, undefined).hint).toMatch(/^`docker login` for that registry/);
  });
});
