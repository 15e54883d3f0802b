import { spawnSync } from 'node:child_process';
import { realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { findBinary } from '../runtime/native/binaries.ts';
import { PROJECT_ROOT } from '../runtime/paths.ts';

/**
 * A scenario's `rules:` files are loaded into the sandbox's Prometheus. Only files the scenario
 * plausibly owns qualify: regular files inside the scenario's own directory tree or the project,
 * or files the user named on the command line (--allow-rules). Not /etc/passwd, not `.`, not a
 * symlink that leads out of those trees.
 */
export interface RuleFileCheck {
  /** The real path of an accepted file. */
  file?: string;
  /** Why it is refused, quoting the path as written. */
  problem?: string;
}

export function checkRuleFilePath(written: string, scenarioFile: string, allowed: ReadonlySet<string> = new Set()): RuleFileCheck {
  const scenarioDir = dirname(scenarioFile);
  const abs = resolve(scenarioDir, written);
  let stat;
  try {
    stat = statSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { problem: code === 'ENOENT' ? `rule file "${written}" not found (looked at ${abs}; relative paths are relative to the scenario file)` : `rule file "${written}" cannot be read (${code ?? (e as Error).message})` };
  }
  if (!stat.isFile()) return { problem: `"${written}" is ${stat.isDirectory() ? 'a directory' : 'not a regular file'} (${abs}); name rule files one by one` };
  const real = realpathSync(abs);
  const inside = (root: string) => {
    const rel = relative(realpathSync(root), real);
    return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
  };
  if (inside(scenarioDir) || inside(PROJECT_ROOT) || allowed.has(real)) return { file: real };
  return {
    problem: `rule file "${written}" (${real}) is outside the scenario's directory (${realpathSync(scenarioDir)}) and the project (${resolve(PROJECT_ROOT)}); move it next to the scenario, or name it on the command line with --allow-rules ${real}`,
  };
}

/** Real paths of the files named with --allow-rules (each must exist and be a regular file). */
export function allowedRuleFiles(paths: readonly string[] | undefined): { allowed: Set<string>; problems: string[] } {
  const allowed = new Set<string>();
  const problems: string[] = [];
  for (const p of paths ?? []) {
    try {
      if (!statSync(p).isFile()) {
        problems.push(`--allow-rules "${p}" is not a regular file`);
        continue;
      }
      allowed.add(realpathSync(p));
    } catch (e) {
      problems.push(`--allow-rules "${p}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return { allowed, problems };
}

/**
 * `promtool check rules` over the files, once: each file's problems, as `file:line:col: message`
 * where promtool names a line (its YAML and PromQL errors do). null: promtool is not installed
 * (Prometheus then reports the same errors when the scenario loads the files).
 */
export function promtoolCheckRules(files: readonly string[], promtool = findBinary(['promtool'])): Map<string, string[]> | null {
  if (!promtool) return null;
  const problems = new Map<string, string[]>();
  if (files.length === 0) return problems;
  const r = spawnSync(promtool, ['check', 'rules', ...files], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return null;
  if (r.status === 0) return problems;
  let current: string | null = null;
  const byLength = [...files].sort((a, b) => b.length - a.length);
  for (const line of `${r.stdout}\n${r.stderr}`.split('\n')) {
    if (!line.trim() || /^Checking |^\s+SUCCESS|^\s+FAILED:?\s*$/.test(line)) continue;
    const file = byLength.find((f) => line.startsWith(`${f}: `));
    const add = (f: string, text: string) => {
      const list = problems.get(f) ?? [];
      if (!list.includes(text)) list.push(text);
      problems.set(f, list);
    };
    if (file) {
      current = file;
      const rest = line.slice(file.length + 2);
      const located = /^(\d+):(\d+): (.*)$/.exec(rest);
      const yamlLine = /^yaml: line (\d+): (.*)$/.exec(rest);
      if (located) add(file, `${file}:${located[1]}:${located[2]}: ${located[3]}`);
      else if (yamlLine) add(file, `${file}:${yamlLine[1]}: YAML: ${yamlLine[2]}`);
      else if (!/^yaml: unmarshal errors:$/.test(rest)) add(file, `${file}: ${rest}`);
    } else if (current) {
      // Continuation lines of an unmarshal error: "  line 4: field x not found in type ...".
      const cont = /^\s+line (\d+): (.*)$/.exec(line);
      add(current, cont ? `${current}:${cont[1]}: ${cont[2]}` : `${current}: ${line.trim()}`);
    }
  }
  // A failure promtool did not attribute to a file still fails every file it checked.
  if (problems.size === 0) for (const f of files) problems.set(f, [`promtool check rules failed: ${(r.stderr || r.stdout).trim().slice(0, 300)}`]);
  return problems;
}
