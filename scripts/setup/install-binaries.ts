/**
 * Installs the native runtime's binaries when they are missing: Prometheus (with promtool) and
 * Alertmanager (with amtool) from the OS packages where that is possible (Debian/Ubuntu as
 * root), otherwise says exactly what to install. Grafana, Loki and Tempo have no Debian
 * package: the native runtime reports them unavailable with how to get them.
 */
import { $, which } from 'zx';

$.verbose = false;

interface Requirement {
  what: string;
  binaries: string[];
  debianPackage: string;
  /** Without it the native runtime cannot run at all (the blackbox exporter is reported unavailable instead). */
  required: boolean;
}

const requirements: Requirement[] = [
  { what: 'Prometheus', binaries: ['prometheus', 'promtool'], debianPackage: 'prometheus', required: true },
  { what: 'Alertmanager', binaries: ['amtool'], debianPackage: 'prometheus-alertmanager', required: true },
  { what: 'the blackbox exporter', binaries: ['prometheus-blackbox-exporter'], debianPackage: 'prometheus-blackbox-exporter', required: false },
];

async function has(binary: string): Promise<boolean> {
  return (await which(binary, { nothrow: true })) !== null;
}

async function alertmanagerPresent(): Promise<boolean> {
  return (await has('alertmanager')) || (await has('prometheus-alertmanager'));
}

const missing: Requirement[] = [];
for (const r of requirements) {
  const binariesThere = (await Promise.all(r.binaries.map(has))).every(Boolean);
  const amThere = r.debianPackage !== 'prometheus-alertmanager' || (await alertmanagerPresent());
  if (!binariesThere || !amThere) missing.push(r);
}

if (missing.length > 0) {
  const packages = missing.map((m) => m.debianPackage);
  const isRoot = process.getuid?.() === 0;
  const apt = await has('apt-get');
  if (apt && isRoot) {
    console.log(`setup: installing ${packages.join(', ')} with apt-get (native runtime)...`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await $({ env, stdio: 'inherit' })`apt-get update -qq`;
    await $({ env, stdio: 'inherit' })`apt-get install -y -qq --no-install-recommends ${packages}`;
    // Debian's packages would start system services under systemd; the sandbox runs its own.
  } else {
    const advice = [
      `setup: the native runtime needs ${new Intl.ListFormat('en').format(missing.map((m) => m.what))}, which ${missing.length > 1 ? 'are' : 'is'} not installed.`,
      apt ? `  install: sudo apt-get install ${packages.join(' ')}` : '  install them from your package manager or prometheus.io/download',
      '  or use the Docker runtime: npm run sandbox -- --runtime docker',
    ].join('\n');
    // Stop only when nothing could run the stack: with a Docker engine, `--runtime auto` uses it.
    const engine = missing.some((m) => m.required)
      ? await (await import('../runtime/docker/engine.ts')).probeDockerEngine()
      : { available: true, reason: '' };
    if (engine.available) {
      console.warn(advice);
    } else {
      console.error(`${advice}\n  (no Docker engine answers either: ${engine.reason})`);
      process.exit(3);
    }
  }
}
