import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { SandboxError } from '../../core/errors.ts';

/** Fails with every busy port at once, each with its intended owner and, where Linux tells, its holder. */
export async function assertPortsFree(ports: readonly { owner: string; port: number }[]): Promise<void> {
  const busy: string[] = [];
  for (const p of ports) {
    if (await isPortFree(p.port)) continue;
    const holder = portHolder(p.port);
    busy.push(`port ${p.port} (for ${p.owner}) is in use${holder ? ` by ${holder}` : ''}`);
  }
  if (busy.length === 0) return;
  throw new SandboxError('PORT_IN_USE', busy.length === 1 ? busy[0]! : `${busy.length} ports the sandbox needs are in use`, {
    details: busy.length === 1 ? [] : busy,
    hint: 'stop what holds the port (`npx sandbox down` if it is an earlier sandbox), or move every sandbox port with SANDBOX_PORT_OFFSET=<n>',
  });
}

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** "pid 1234 (prometheus)" for the process listening on a TCP port, from /proc; null if unknown. */
export function portHolder(port: number): string | null {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return null;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const pid of pids) {
    if ([...socketInodes(Number(pid))].some((i) => inodes.has(i))) {
      try {
        return `pid ${pid} (${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()})`;
      } catch {
        /* exited meanwhile */
      }
    }
  }
  return null;
}

/** The inodes of every socket a process holds open (its /proc/<pid>/fd links); empty when unreadable. */
export function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      /* fd closed meanwhile */
    }
  }
  return inodes;
}

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is "ADDR:PORT"; st 0A is LISTEN; inode is column 10.
      if (cols[1]?.endsWith(`:${hexPort}`) && cols[3] === '0A' && cols[9]) inodes.add(cols[9]);
    }
  }
  return inodes;
}
