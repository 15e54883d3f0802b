import { readFile } from 'node:fs/promises';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { isActionName, playbookFileSchema, type PlaybookSet } from './playbook-schema.ts';

/** One thing wrong with a playbook file, pinned to where it is. */
export interface PlaybookProblem {
  file: string;
  line: number;
  col: number;
  /** Key path such as playbooks[2].actions[0].action; '' for the document itself. */
  path: string;
  message: string;
}

export type PlaybookValidation = { ok: true; value: PlaybookSet } | { ok: false; problems: PlaybookProblem[] };

export function formatProblem(p: PlaybookProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`;
}

/**
 * Validates a playbook file's text: YAML syntax, the schema, and the allow-list. Every problem is
 * reported, each with file, line:col and key path (`sandbox lint` and the controller share this).
 */
export function validatePlaybooks(text: string, file: string): PlaybookValidation {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lineCounter.linePos(offset);
  const problems: PlaybookProblem[] = [];

  // Syntax errors make the data unreliable: report them (all of them) and stop there.
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const { line, col } = at(e.pos[0]);
      problems.push({ file, line, col, path: '', message: `YAML syntax error: ${e.message.split('\n')[0]}` });
    }
    return { ok: false, problems };
  }

  const problem = (path: readonly PropertyKey[], message: string) => {
    const { line, col } = at(locate(doc, path));
    const p = formatPath(path);
    problems.push({ file, line, col, path: p, message });
  };

  const raw: unknown = doc.toJS() ?? {};
  const parsed = playbookFileSchema.safeParse(raw);
  if (!parsed.success) for (const issue of parsed.error.issues) describeIssue(issue, problem);
  checkAllowList(raw, problem);
  checkUniqueNames(raw, problem);
  if (!parsed.success || problems.length > 0) return { ok: false, problems: sortProblems(problems) };

  const data = parsed.data;
  const allowed = data.allowedActions;

  return {
    ok: true,
    value: {
      file,
      allowedActions: allowed,
      playbooks: data.playbooks.map((pb) => ({
        name: pb.name,
        ...(pb.description !== undefined ? { description: pb.description } : {}),
        match: pb.match,
        actions: pb.actions,
        onResolved: pb.onResolved,
        limits: {
          cooldown: pb.cooldown ?? data.defaults.cooldown,
          maxAttempts: pb.maxAttempts ?? data.defaults.maxAttempts,
          window: pb.window ?? data.defaults.window,
          verifyTimeout: pb.verifyTimeout ?? data.defaults.verifyTimeout,
          timeout: pb.timeout ?? data.defaults.timeout,
        },
      })),
    },
  };

  /** Unknown actions are named with the allow-list, as the file declares it (when it parses). */
  function allowList(): string {
    const raw = (doc.toJS() as { allowedActions?: unknown } | null)?.allowedActions;
    return Array.isArray(raw) ? raw.map(String).join(', ') : '(allowedActions is missing)';
  }

  function describeIssue(issue: z.core.$ZodIssue, report: Report): void {
    const params = (issue as { params?: Record<string, unknown> }).params;
    if (typeof params?.unknownAction === 'string') {
      report(issue.path, `unknown action '${params.unknownAction}' at ${formatPath(issue.path)}; allowed: ${allowList()}`);
      return;
    }
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : (params?.unrecognizedKeys as string[] | undefined);
    if (keys) {
      for (const key of keys) {
        const path = [...issue.path, key];
        report(path, `${formatPath(path)}: unknown key '${key}'`);
      }
      return;
    }
    report(issue.path, `${formatPath(issue.path) || '(document)'}: ${issue.message}`);
  }
}

type Report = (path: readonly PropertyKey[], message: string) => void;

/** A known action a playbook uses that the file's own allowedActions does not list. */
function checkAllowList(raw: unknown, report: Report): void {
  const file = raw as { allowedActions?: unknown; playbooks?: unknown };
  if (!Array.isArray(file.allowedActions) || !Array.isArray(file.playbooks)) return;
  const allowed = file.allowedActions.map(String);
  file.playbooks.forEach((pb: unknown, i) => {
    for (const phase of ['actions', 'onResolved'] as const) {
      const list = (pb as Record<string, unknown> | null)?.[phase];
      if (!Array.isArray(list)) continue;
      list.forEach((a: unknown, j) => {
        const name = (a as { action?: unknown } | null)?.action;
        if (typeof name !== 'string' || !isActionName(name) || allowed.includes(name)) return;
        const path = ['playbooks', i, phase, j, 'action'];
        report(path, `action '${name}' at ${formatPath(path)} is not in allowedActions (${allowed.join(', ')})`);
      });
    }
  });
}

function checkUniqueNames(raw: unknown, report: Report): void {
  const playbooks = (raw as { playbooks?: unknown }).playbooks;
  if (!Array.isArray(playbooks)) return;
  const first = new Map<string, number>();
  playbooks.forEach((pb: unknown, i) => {
    const name = (pb as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') return;
    const seen = first.get(name);
    if (seen === undefined) first.set(name, i);
    else report(['playbooks', i, 'name'], `playbooks[${i}].name: duplicate playbook name '${name}' (first at playbooks[${seen}])`);
  });
}

/** Reads and validates a playbook file; a missing file is one problem like any other. */
export async function loadPlaybookFile(path: string, displayName = path): Promise<PlaybookValidation> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return { ok: false, problems: [{ file: displayName, line: 1, col: 1, path: '', message: `cannot read playbook file: ${(e as Error).message}` }] };
  }
  return validatePlaybooks(text, displayName);
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

/**
 * Source offset of the deepest node on `path` that exists: a map entry's key, a sequence
 * item, or the nearest ancestor when the key is missing (a required key not written).
 */
function locate(doc: Document, path: readonly PropertyKey[]): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (!item) break;
      offset = (item as Node).range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset;
}

function sortProblems(problems: PlaybookProblem[]): PlaybookProblem[] {
  return problems.sort((a, b) => a.line - b.line || a.col - b.col);
}
