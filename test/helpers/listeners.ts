import { readFileSync } from 'node:fs';
import { socketInodes } from '../../scripts/runtime/processes/ports.ts';

/** A listening TCP socket and the process that holds it. */
export interface Listener {
  pid: number;
  address: string;
  port: number;
}

/**
 * Every listening TCP socket (IPv4 and IPv6) held by the given processes, from /proc: the
 * sockets' inodes from /proc/<pid>/fd, their addresses from /proc/<pid>/net/tcp{,6} (LISTEN is
 * state 0A). Linux only; elsewhere it finds nothing, which the caller's "found some" check turns
 * into a failure.
 */
export function listeningSockets(pids: readonly number[]): Listener[] {
  const out: Listener[] = [];
  for (const pid of pids) {
    const inodes = socketInodes(pid);
    for (const table of ['tcp', 'tcp6']) {
      let text = '';
      try {
        text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.trim().split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        const [local, , state] = [f[1]!, f[2]!, f[3]!];
        if (state !== '0A' || !inodes.has(f[9]!)) continue;
        const [hexAddr, hexPort] = local.split(':') as [string, string];
        out.push({ pid, address: table === 'tcp' ? ipv4(hexAddr) : ipv6(hexAddr), port: parseInt(hexPort, 16) });
      }
    }
  }
  return out;
}

/** /proc/net/tcp writes the address as one little-endian 32-bit word. */
function ipv4(hex: string): string {
  const bytes = hex.match(/../g)!.map((b) => parseInt(b, 16));
  return bytes.reverse().join('.');
}

/** /proc/net/tcp6: four little-endian 32-bit words. */
function ipv6(hex: string): string {
  const words = hex.match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(''));
  const groups = words.join('').match(/.{4}/g)!.map((g) => parseInt(g, 16).toString(16));
  const full = groups.join(':');
  if (full === '0:0:0:0:0:0:0:1') return '::1';
  if (full === '0:0:0:0:0:0:0:0') return '::';
  const mapped = /^0:0:0:0:0:ffff:([0-9a-f]+):([0-9a-f]+)$/.exec(full);
  if (mapped) {
    const n = (parseInt(mapped[1]!, 16) << 16) | parseInt(mapped[2]!, 16);
    return `::ffff:${[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')}`;
  }
  return full;
}

/** 127.0.0.0/8, ::1, and IPv4-mapped loopback. */
export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./.test(address);
}
