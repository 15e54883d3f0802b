/**
 * The k6 image the docker runtime runs the k6 engine in when no k6 binary is on PATH, pinned as
 * the stack catalog pins its images. 1.8.1 is the newest 1.x release (tag v1.8.1, 2026-08-12, a
 * maintenance release on the 1.x line after 2.0): grafana/k6's release workflow publishes every
 * `vX.Y.Z` tag to Docker Hub as `grafana/k6:X.Y.Z` (no leading v). 2.x is not taken: the sandbox
 * types its scripts with @types/k6 1.x and reads the `--summary-export` file, which k6 1.x still
 * writes. The image's entrypoint is `k6` itself (ENTRYPOINT ["k6"]), so a container's command is
 * `run ...`; it runs as the unprivileged user k6 (uid 12345) in WORKDIR /home/k6.
 * Source: github.com/grafana/k6 at v1.8.1, Dockerfile and .github/workflows/build.yml.
 */
export const K6_IMAGE = { name: 'grafana/k6', tag: '1.8.1' } as const;

export const K6_IMAGE_REF = `${K6_IMAGE.name}:${K6_IMAGE.tag}`;

/**
 * Replaces the pinned image, as SANDBOX_<NAME>_IMAGE does for the stack's components: a mirror in
 * a private registry, or an image already on an offline engine.
 */
export const K6_IMAGE_ENV = 'SANDBOX_K6_IMAGE';

/** The image k6 runs in: the override, else the pinned one. */
export function k6Image(env: NodeJS.ProcessEnv = process.env): string {
  return env[K6_IMAGE_ENV]?.trim() || K6_IMAGE_REF;
}
