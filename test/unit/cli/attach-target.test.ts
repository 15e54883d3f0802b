import { describe, expect, it } from 'vitest';
import { attachTargetFrom } from '../../../scripts/cli/commands/run.ts';
import { isSandboxError } from '../../../scripts/core/errors.ts';

function error(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (isSandboxError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a SandboxError');
}

describe('--attach flags', () => {
  it('takes Prometheus and Alertmanager, and Loki and Tempo when given, without trailing slashes', () => {
    expect(attachTargetFrom({ attach: true, prometheusUrl: 'http://p:9090/', alertmanagerUrl: 'http://a:9093' })).toEqual({ prometheusUrl: 'http://p:9090', alertmanagerUrl: 'http://a:9093' });
    expect(attachTargetFrom({ attach: true, prometheusUrl: 'http://p:9090', alertmanagerUrl: 'http://a:9093', lokiUrl: 'http://l:3100/', tempoUrl: 'http://t:3200' })).toEqual({
      prometheusUrl: 'http://p:9090',
      alertmanagerUrl: 'http://a:9093',
      lokiUrl: 'http://l:3100',
      tempoUrl: 'http://t:3200',
    });
  });

  it('needs Prometheus and Alertmanager, and names every bad URL at once', () => {
    const e = error(() => attachTargetFrom({ attach: true, alertmanagerUrl: 'ftp://a', tempoUrl: 'nope' }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toBe('--attach: --prometheus-url is missing; --alertmanager-url "ftp://a" is not an http(s) URL; --tempo-url "nope" is not a URL');
  });

  it('refuses the URL flags without --attach, naming them', () => {
    expect(attachTargetFrom({})).toBeUndefined();
    expect(error(() => attachTargetFrom({ lokiUrl: 'http://l:3100' })).message).toBe('--loki-url needs --attach');
    expect(error(() => attachTargetFrom({ prometheusUrl: 'http://p', tempoUrl: 'http://t' })).message).toBe('--prometheus-url and --tempo-url need --attach');
  });

  it('normalises a pasted API path, UI fragment or query to the base URL, keeping a route prefix, and says so', () => {
    const notes: string[] = [];
    const t = attachTargetFrom(
      { attach: true, prometheusUrl: 'http://127.0.0.1:9090/api/v1/', alertmanagerUrl: 'http://127.0.0.1:9093/#/alerts', lokiUrl: 'http://l:3100/loki/api/v1/query_range?x=1', tempoUrl: 'http://t:3200/tempo/api/search' },
      (n) => notes.push(n),
    );
    expect(t).toEqual({ prometheusUrl: 'http://127.0.0.1:9090', alertmanagerUrl: 'http://127.0.0.1:9093', lokiUrl: 'http://l:3100', tempoUrl: 'http://t:3200/tempo' });
    expect(notes).toEqual([
      '--prometheus-url http://127.0.0.1:9090/api/v1/ taken as http://127.0.0.1:9090 (the base URL)',
      '--alertmanager-url http://127.0.0.1:9093/#/alerts taken as http://127.0.0.1:9093 (the base URL)',
      '--loki-url http://l:3100/loki/api/v1/query_range?x=1 taken as http://l:3100 (the base URL)',
      '--tempo-url http://t:3200/tempo/api/search taken as http://t:3200/tempo (the base URL)',
    ]);
    // Prometheus behind --web.route-prefix=/prom: the prefix is the base.
    expect(attachTargetFrom({ attach: true, prometheusUrl: 'http://p:9090/prom/-/ready', alertmanagerUrl: 'http://a:9093' })!.prometheusUrl).toBe('http://p:9090/prom');
    expect(error(() => attachTargetFrom({ attach: true, prometheusUrl: 'http://u:pw@p:9090', alertmanagerUrl: 'http://a:9093' })).message).toMatch(/--prometheus-url: credentials in the URL are not supported/);
  });

  it('refuses options that mean nothing attached, before anything starts', () => {
    const urls = { attach: true, prometheusUrl: 'http://p:9090', alertmanagerUrl: 'http://a:9093' };
    const docker = error(() => attachTargetFrom({ ...urls, runtime: 'docker' }));
    expect(docker).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^--runtime docker and --attach cannot be combined/) });
    expect(error(() => attachTargetFrom({ ...urls, runtime: 'native' })).message).toMatch(/^--runtime native and --attach/);
    expect(attachTargetFrom({ ...urls, runtime: 'auto', parallel: 'auto' })).toBeDefined();
    expect(error(() => attachTargetFrom({ ...urls, parallel: '2' })).message).toMatch(/^--parallel 2 and --attach cannot be combined/);
  });
});
