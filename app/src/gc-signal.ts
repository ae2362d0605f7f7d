/**
 * For memory measurements only: with `LC_GC_ON_SIGNAL=1` in its environment, the process runs a full
 * garbage collection whenever it gets SIGUSR2, so a benchmark can read RSS with no garbage in it
 * (`npm run bench -- memory-slope`; the comparison servers it starts do the same). Off by default:
 * then nothing listens for SIGUSR2 and nothing is exposed.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

export function gcOnSignal(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.LC_GC_ON_SIGNAL !== '1') return false;
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  process.on('SIGUSR2', () => gc());
  return true;
}
