import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import { parseDuration } from '../core/duration.ts';

/**
 * A PromQL expression as the detection model reads it: selectors with their range and offset,
 * function calls, aggregations, binary operators and number literals. Parsed with lezer-promql,
 * the grammar Prometheus' own UI uses; what the model does not need (label names of `by`,
 * `on`, `group_left`) is left out.
 */
export type PromExpr =
  | { type: 'selector'; metric: string; matchers: Matcher[]; rangeSeconds: number | null; offsetSeconds: number }
  | { type: 'subquery'; expr: PromExpr; rangeSeconds: number; offsetSeconds: number }
  | { type: 'call'; fn: string; args: PromExpr[] }
  | { type: 'aggregate'; op: string; args: PromExpr[] }
  | { type: 'binary'; op: string; lhs: PromExpr; rhs: PromExpr }
  | { type: 'unary'; op: string; expr: PromExpr }
  | { type: 'number'; value: number }
  | { type: 'string'; value: string };

export interface Matcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export class PromQLParseError extends Error {}

/** Parses `text`; throws PromQLParseError naming the position of the first syntax error. */
export function parsePromQL(text: string): PromExpr {
  const tree = parser.parse(text);
  let bad: number | null = null;
  tree.iterate({
    enter: (n) => {
      if (bad === null && n.type.isError) bad = n.from;
    },
  });
  if (bad !== null) throw new PromQLParseError(`PromQL syntax error at offset ${bad}: ${text.slice(bad, bad + 30)}`);
  const top = tree.topNode.firstChild;
  if (!top) throw new PromQLParseError('empty PromQL expression');
  return convert(top, text);
}

const children = (n: SyntaxNode): SyntaxNode[] => {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
};

const EXPR_NODES = new Set([
  'BinaryExpr',
  'UnaryExpr',
  'ParenExpr',
  'FunctionCall',
  'AggregateExpr',
  'MatrixSelector',
  'SubqueryExpr',
  'OffsetExpr',
  'VectorSelector',
  'NumberDurationLiteral',
  'StringLiteral',
  'StepInvariantExpr',
]);

function seconds(node: SyntaxNode | undefined, text: string): number {
  if (!node) return 0;
  const raw = text.slice(node.from, node.to).trim();
  const s = parseDuration(raw) ?? (Number.isFinite(Number(raw)) ? Number(raw) : null);
  if (s === null) throw new PromQLParseError(`not a duration: ${raw}`);
  return s;
}

function unquote(s: string): string {
  if (s.startsWith('`')) return s.slice(1, -1);
  return JSON.parse(s.startsWith("'") ? `"${s.slice(1, -1).replace(/"/g, '\\"')}"` : s) as string;
}

function convert(node: SyntaxNode, text: string): PromExpr {
  const src = (n: SyntaxNode) => text.slice(n.from, n.to);
  const exprs = (n: SyntaxNode) => children(n).filter((c) => EXPR_NODES.has(c.name));
  switch (node.name) {
    case 'ParenExpr':
    case 'StepInvariantExpr':
      return convert(exprs(node)[0]!, text);
    case 'NumberDurationLiteral': {
      const raw = src(node);
      const n = Number(raw);
      return { type: 'number', value: Number.isFinite(n) || /^[+-]?(inf|nan)$/i.test(raw) ? n : (parseDuration(raw) ?? NaN) };
    }
    case 'StringLiteral':
      return { type: 'string', value: unquote(src(node)) };
    case 'UnaryExpr':
      return { type: 'unary', op: src(node.getChild('UnaryOp')!), expr: convert(exprs(node)[0]!, text) };
    case 'BinaryExpr': {
      const [lhs, rhs] = exprs(node);
      const op = children(node).find((c) => !EXPR_NODES.has(c.name) && c.name !== 'BoolModifier' && c.name !== 'MatchingModifierClause')!;
      return { type: 'binary', op: src(op).toLowerCase(), lhs: convert(lhs!, text), rhs: convert(rhs!, text) };
    }
    case 'FunctionCall': {
      const fn = src(node.getChild('FunctionIdentifier')!);
      return { type: 'call', fn, args: exprs(node.getChild('FunctionCallBody')!).map((a) => convert(a, text)) };
    }
    case 'AggregateExpr': {
      const op = src(node.getChild('AggregateOp')!).toLowerCase();
      return { type: 'aggregate', op, args: exprs(node.getChild('FunctionCallBody')!).map((a) => convert(a, text)) };
    }
    case 'OffsetExpr': {
      const inner = convert(exprs(node)[0]!, text);
      const offset = seconds(node.getChild('OffsetDurationExpr') ?? undefined, text);
      if (inner.type === 'selector' || inner.type === 'subquery') return { ...inner, offsetSeconds: inner.offsetSeconds + offset };
      return inner;
    }
    case 'MatrixSelector': {
      const inner = convert(node.getChild('VectorSelector')!, text);
      if (inner.type !== 'selector') throw new PromQLParseError(`not a selector: ${src(node)}`);
      return { ...inner, rangeSeconds: seconds(node.getChild('DurationExpr') ?? undefined, text) };
    }
    case 'SubqueryExpr': {
      const [inner] = exprs(node);
      const durations = node.getChildren('DurationExpr');
      return { type: 'subquery', expr: convert(inner!, text), rangeSeconds: seconds(durations[0], text), offsetSeconds: 0 };
    }
    case 'VectorSelector': {
      const id = node.getChild('Identifier');
      const matchers: Matcher[] = [];
      let metric = id ? src(id) : '';
      for (const m of node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
        const name = src(m.getChild('LabelName')!);
        const op = src(m.getChild('MatchOp')!) as Matcher['op'];
        const value = unquote(src(m.getChild('StringLiteral')!));
        if (name === '__name__' && op === '=') metric = value;
        else matchers.push({ name, op, value });
      }
      for (const m of node.getChild('LabelMatchers')?.getChildren('QuotedLabelMatcher') ?? []) {
        const name = unquote(src(m.getChild('QuotedLabelName')!));
        const op = src(m.getChild('MatchOp')!) as Matcher['op'];
        matchers.push({ name, op, value: unquote(src(m.getChild('StringLiteral')!)) });
      }
      return { type: 'selector', metric, matchers, rangeSeconds: null, offsetSeconds: 0 };
    }
    default:
      throw new PromQLParseError(`unsupported PromQL construct ${node.name}: ${src(node)}`);
  }
}

/** Every selector in the expression (subqueries' inner selectors included). */
export function selectorsOf(e: PromExpr): Extract<PromExpr, { type: 'selector' }>[] {
  switch (e.type) {
    case 'selector':
      return [e];
    case 'subquery':
      return selectorsOf(e.expr);
    case 'call':
    case 'aggregate':
      return e.args.flatMap(selectorsOf);
    case 'binary':
      return [...selectorsOf(e.lhs), ...selectorsOf(e.rhs)];
    case 'unary':
      return selectorsOf(e.expr);
    default:
      return [];
  }
}

/** Whether a label value passes a matcher (RE2 anchored; a pattern JavaScript cannot read counts as a match). */
export function matcherAccepts(m: Matcher, value: string | undefined): boolean {
  const v = value ?? '';
  const re = () => {
    try {
      return new RegExp(`^(?:${m.value})$`).test(v);
    } catch {
      return null;
    }
  };
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return re() ?? true;
    case '!~':
      return !(re() ?? false);
  }
}
