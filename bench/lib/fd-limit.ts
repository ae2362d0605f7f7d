/**
 * File-descriptor headroom. Node cannot call setrlimit, so a process that needs more sockets than
 * its soft limit re-executes itself through `sh -c 'ulimit -n N; exec …'` (raising the soft limit up
 * to the hard one needs no privilege). The hard limit itself can only be raised by root with
 * CAP_SYS_RESOURCE — in containers often not even by root — so past it we fail with a clear message.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface FdLimits { soft: number; hard: number }

/** This process's open-files limits from /proc/self/limits (Infinity for unlimited). */
export function fdLimits(): FdLimits {
  try {
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) {
      const n = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
      return { soft: n(m[1]), hard: n(m[2]) };
    }
  } catch {
    // not Linux
  }
  return { soft: 1024, hard: 1024 };
}

const REEXEC = 'LIVECHAT_FD_REEXEC';

/**
 * Ensures the soft limit covers `needed` fds. Returns normally when it does; re-runs this very
 * command with a raised soft limit and exits with its status when that helps; throws when even the
 * hard limit is too low.
 */
export function ensureFds(needed: number): void {
  const { soft, hard } = fdLimits();
  if (soft >= needed) return;
  if (hard < needed || process.env[REEXEC]) {
    throw new Error(`needs about ${needed} open files but the hard limit is ${hard} (soft ${soft}): ` +
      `raise it (as root: ulimit -Hn ${needed}; or LimitNOFILE / docker --ulimit nofile=${needed}) or use fewer clients`);
  }
  const target = hard === Infinity ? needed : hard;
  const r = spawnSync('/bin/sh', ['-c', `ulimit -n ${target} && exec "$0" "$@"`, process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, [REEXEC]: '1' } });
  process.exit(r.status ?? 1);
}
