import { basename } from 'node:path';
import type { JobRuntime } from '../runtime.js';
import { createHarness } from './harness.js';

/** One runtime a hostile suite runs under, and why it is skipped (false: it runs). */
export type RuntimeUnderTest = { runtime: JobRuntime; skip: string | false };

let runscProbe: Promise<string | false> | undefined;

/**
 * Whether gVisor runs here: the engine's own probe (a real container under cove-runsc with a
 * job's restrictions), so the runsc suites run wherever scripts/ensure-runsc.sh could register
 * it, and say why not. Once per process, i.e. once per test file under `node --test`.
 */
function runscSkipReason(): Promise<string | false> {
  runscProbe ??= (async () => {
    const h = await createHarness({ runtime: 'runsc' });
    try {
      await h.engine.runtime();
      return false;
    } catch (err) {
      return `runsc is not usable on this host (${(err as Error).message}); scripts/ensure-runsc.sh registers it where apt has it`;
    } finally {
      await h.close();
    }
  })();
  return runscProbe;
}

/**
 * The runtimes a hostile suite runs under: runc always, runsc (gVisor) where its probe passes.
 * When it does not, prints one `# <suite> (runsc) skipped: <reason>` line; the runsc describe is
 * then registered with `skip` set to the reason, so the report says why too.
 *
 * @example
 * for (const { runtime, skip } of await runtimesUnderTest('hostile-outputs')) describe(`outputs (${runtime})`, { skip }, () => { ... })
 */
export async function runtimesUnderTest(suite: string = basename(process.argv[1] ?? 'hostile', '.test.ts')): Promise<RuntimeUnderTest[]> {
  const skip = await runscSkipReason();
  if (skip) console.log(`# ${suite} (runsc) skipped: ${skip}`);
  return [
    { runtime: 'runc', skip: false },
    { runtime: 'runsc', skip },
  ];
}
