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
    expect(e.message).toBe('--attach: --prometheus-url is missing; --alertmanager-url "ftp://a" is not an http(s) URL; --tempo-url "nope" is not an http(s) URL');
  });

  it('refuses the URL flags without --attach, naming them', () => {
    expect(attachTargetFrom({})).toBeUndefined();
    expect(error(() => attachTargetFrom({ lokiUrl: 'http://l:3100' })).message).toBe('--loki-url needs --attach');
    expect(error(() => attachTargetFrom({ prometheusUrl: 'http://p', tempoUrl: 'http://t' })).message).toBe('--prometheus-url and --tempo-url need --attach');
  });
});
