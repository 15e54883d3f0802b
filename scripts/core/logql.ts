import { parser } from '@grafana/lezer-logql';

/**
 * Syntax problems in a LogQL expression, found with Grafana's own LogQL grammar (the one its
 * query editor uses), each as "at <offset>: <context>". Empty when it parses.
 */
export function logqlErrors(expr: string): string[] {
  const problems: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) problems.push(`at ${node.from}: ${JSON.stringify(expr.slice(Math.max(0, node.from - 10), node.to + 10) || expr.slice(-20))}`);
    },
  });
  return problems;
}
