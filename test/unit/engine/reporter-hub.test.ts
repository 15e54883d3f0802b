import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadReporters, ReporterHub } from '../../../scripts/engine/reporter-hub.ts';
import type { Reporter } from '../../../scripts/scenario/result.ts';
import { passedCrash, suite } from '../reporters/fixtures.ts';

describe('reporter lifecycle', () => {
  it('calls every hook in order, awaiting each, with the run context first', async () => {
    const calls: string[] = [];
    const slow: Reporter = {
      name: 'slow',
      async onInit(ctx) {
        await new Promise((r) => setTimeout(r, 20));
        calls.push(`init ${ctx.reportDir} ${ctx.scenarios.length}`);
      },
      async onScenarioStart(name) {
        await new Promise((r) => setTimeout(r, 10));
        calls.push(`start ${name}`);
      },
      onEvent: (_s, e) => void calls.push(`event ${e.kind}`),
      onScenarioEnd: (r) => void calls.push(`end ${r.outcome}`),
      onSuiteEnd: (r) => void calls.push(`suite ${r.passed}`),
    };
    const hub = new ReporterHub([slow, { name: 'after', onInit: () => void calls.push('init after') }]);
    const result = passedCrash();
    await hub.init({ reportDir: '/reports', scenarios: [] });
    await hub.scenarioStart(result.name);
    hub.event(result.name, result.timeline[0]!);
    await hub.scenarioEnd(result);
    await hub.suiteEnd(suite([result]));
    expect(calls).toEqual(['init /reports 0', 'init after', 'start service-crash', `event ${result.timeline[0]!.kind}`, 'end passed', 'suite true']);
    expect(hub.failureError()).toBeNull();
  });

  it('isolates a reporter that throws: the others still run, and the failure comes back as REPORTER_FAILED', async () => {
    const heard: string[] = [];
    const warnings: string[] = [];
    const broken: Reporter = {
      name: 'broken',
      onEvent: () => {
        throw new Error('cannot draw');
      },
      onSuiteEnd: async () => {
        throw new Error('disk full');
      },
    };
    const hub = new ReporterHub([broken, { name: 'fine', onEvent: (_s, e) => void heard.push(e.kind), onSuiteEnd: () => void heard.push('suite') }], (w) => warnings.push(w));
    const result = passedCrash();
    hub.event(result.name, result.timeline[0]!);
    await hub.suiteEnd(suite([result]));
    expect(heard).toEqual([result.timeline[0]!.kind, 'suite']);
    expect(warnings).toEqual(['reporter broken failed in onEvent: cannot draw', 'reporter broken failed in onSuiteEnd: disk full']);
    const e = hub.failureError();
    expect(e).toMatchObject({ code: 'REPORTER_FAILED', exitCode: 3, details: ['broken onEvent: cannot draw', 'broken onSuiteEnd: disk full'] });
  });
});

describe('loadReporters', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reporter-modules-'));
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('loads built-ins by name and reporter modules by path: an object, a class or a factory, given the options', async () => {
    write('object.mjs', "export default { name: 'object', onSuiteEnd() {} };");
    write('class.mjs', 'export default class Mine { constructor(o) { this.name = `class ${o.reportDir}`; } onScenarioEnd() {} }');
    write('factory.mjs', "export default (o) => ({ onScenarioEnd() {}, quiet: o.quiet });");
    const reporters = await loadReporters(['json', './object.mjs', `${dir}/class.mjs`, './factory.mjs,terminal'], { reportDir: '/r', quiet: true }, dir);
    expect(reporters.map((r) => r.name)).toEqual(['json', 'object', 'class /r', './factory.mjs', 'terminal']);
    expect((reporters[3] as unknown as { quiet: boolean }).quiet).toBe(true);
  });

  it('refuses a module that cannot load or is no reporter, and an unknown name, before anything runs', async () => {
    write('nothing.mjs', 'export default { name: "nothing" };');
    await expect(loadReporters(['./missing.mjs'], { reportDir: '/r' }, dir)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('reporter module ./missing.mjs cannot be loaded') });
    await expect(loadReporters(['./nothing.mjs'], { reportDir: '/r' }, dir)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('is not a reporter: it has none of onInit') });
    await expect(loadReporters(['xml'], { reportDir: '/r' }, dir)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'unknown reporter: xml' });
  });
});
