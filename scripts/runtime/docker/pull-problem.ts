/** Why an image could not be had, in the engine's words, sorted by what the user can do. */
export type PullProblem = 'offline' | 'not-found' | 'unauthorized' | 'rate-limited' | 'other';

/**
 * Docker's pull errors by cause (dockerd's own wording, Docker Hub's and other registries'):
 * no registry reachable, no such image or tag, credentials refused, Docker Hub's rate limit.
 */
export function pullProblem(message: string): PullProblem {
  if (/toomanyrequests|rate limit/i.test(message)) return 'rate-limited';
  // Docker Hub answers a missing (or private) repository with "pull access denied".
  if (/manifest unknown|manifest for .* not found|repository does not exist|not found: manifest|pull access denied|name unknown/i.test(message)) return 'not-found';
  if (/unauthorized|authentication required|incorrect username or password/i.test(message)) return 'unauthorized';
  if (/no such host|dial tcp|i\/o timeout|connection refused|network is unreachable|TLS handshake timeout|Client\.Timeout|temporary failure in name resolution|server misbehaving/i.test(message)) return 'offline';
  return 'other';
}

export interface ImageTrouble {
  /** One line: the image, what went wrong, and the engine's own words. */
  reason: string;
  /** The exact ways out, most direct first. */
  hint: string;
}

/**
 * The reason and fix for an image that could not be pulled. `variable` replaces the pinned
 * image (SANDBOX_<NAME>_IMAGE); `leaveOut` is the component's name when it may be left out.
 */
export function imageTrouble(image: string, message: string, variable: string | undefined, leaveOut: string | undefined): ImageTrouble {
  const problem = pullProblem(message);
  const what = {
    offline: 'the registry cannot be reached (offline, a proxy, or DNS)',
    'not-found': 'the registry has no such image or tag (or it is private)',
    unauthorized: 'the registry refused the credentials',
    'rate-limited': "Docker Hub's pull rate limit was hit",
    other: 'the pull failed',
  }[problem];
  const first = {
    offline: `once online, \`docker pull ${image}\``,
    'not-found': `check the name and tag; \`docker pull ${image}\` shows the registry's answer`,
    unauthorized: `\`docker login\` for that registry, then \`docker pull ${image}\``,
    'rate-limited': `\`docker login\` (authenticated pulls have a higher limit) or wait, then \`docker pull ${image}\``,
    other: `\`docker pull ${image}\``,
  }[problem];
  const ways = [first, ...(variable ? [`set ${variable} to an image you have (\`docker images\`)`] : []), ...(leaveOut ? [`leave it out with \`--without ${leaveOut}\``] : [])];
  return { reason: `image ${image} could not be pulled: ${what} (${oneLine(message)})`, hint: ways.join('; or ') };
}

function oneLine(message: string): string {
  const line = message.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
