// The subset of npm's range syntax that package.json's `engines.node` uses here (`^x.y.z`,
// `>=x.y.z`, joined by `||`), checked before dependencies (and so `semver`) are installed.
// A range with any other form is refused loudly rather than guessed at.

/** @param {string} version e.g. "22.22.2" @param {string} range e.g. "^22.22.0 || >=24.0.0" */
export function nodeSatisfies(version, range) {
  const v = parse(version);
  return range.split('||').some((alternative) => {
    const m = /^\s*(\^|>=)\s*(\d+\.\d+\.\d+)\s*$/.exec(alternative);
    if (!m) throw new Error(`engines.node alternative "${alternative.trim()}" is not ^x.y.z or >=x.y.z`);
    const floor = parse(m[2]);
    if (compare(v, floor) < 0) return false;
    return m[1] === '>=' || v[0] === floor[0];
  });
}

/** The lowest version each alternative of the range admits, e.g. ["22.22.0", "24.0.0"]. */
export function rangeFloors(range) {
  return range.split('||').map((alternative) => alternative.trim().replace(/^(\^|>=)\s*/, ''));
}

function parse(version) {
  return version.split('-')[0].split('.').map(Number);
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}
