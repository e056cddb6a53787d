import type { Reporter, Vitest } from 'vitest/node';

/**
 * npm run mutate's reporter (vitest.mutate.config.ts only): a test file that failed to load gets one failed test that
 * carries the load error. Stryker's vitest runner builds a mutant's result from the tests it collected, and a file
 * whose import threw collected none, so a mutant that stops a module from loading (a table entry emptied, a constant
 * made unparseable) would count as survived though the suite fails on it; with this test it counts as killed. A file
 * that loaded is left as it is.
 */
export default class UnloadableFileFails implements Reporter {
  private vitest: Vitest | undefined;

  onInit(vitest: Vitest) {
    this.vitest = vitest;
  }

  onTestRunEnd() {
    for (const file of this.vitest?.state.getFiles() ?? []) {
      if (file.result?.state !== 'fail' || file.tasks.length > 0) continue;
      const loads = {
        type: 'test',
        name: 'loads',
        id: `${file.id}_loads`,
        mode: 'run',
        file,
        suite: file,
        meta: {},
        result: { state: 'fail', errors: file.result.errors ?? [{ message: 'the test file did not load' }] },
      };
      // a finished run's test, which nothing runs again: vitest types a test with a context only its runner builds
      file.tasks.push(loads as unknown as (typeof file.tasks)[number]);
    }
  }
}
