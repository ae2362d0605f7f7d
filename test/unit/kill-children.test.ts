/** The runners' last resort, killWithChildren: a master SIGKILLed takes the processes it started with it (nginx's workers). */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { killWithChildren, sleep } from '../../scripts/lib/procs.js';

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

describe('killWithChildren', () => {
  it('kills the process and its children, which a SIGKILL of the parent alone would leave running', async () => {
    // A parent that ignores SIGTERM (like a stuck master) with two children of its own.
    const parent = spawn('/bin/sh', ['-c', 'trap "" TERM; sleep 60 & sleep 60 & wait'], { stdio: 'ignore' });
    parent.on('error', () => {});
    let kids: number[] = [];
    for (let i = 0; i < 100 && kids.length < 2; i++) {
      await sleep(20);
      kids = readFileSync(`/proc/${parent.pid}/task/${parent.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    }
    expect(kids).toHaveLength(2);
    killWithChildren(parent.pid!);
    await new Promise((r) => parent.once('exit', r));
    for (let i = 0; i < 50 && kids.some(alive); i++) await sleep(20);
    expect(kids.filter(alive)).toEqual([]);
  });
});
