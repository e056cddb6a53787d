import type { Reporter, TestModule } from 'vitest/node';

/**
 * CI's reporter (CI=true): a run in which a declared test did not run fails, naming each one. A test skipped by a
 * condition (`skipIf`, `ctx.skip()`), a `todo`, or one left pending when the run ended would otherwise leave a green
 * run that proved less than it says.
 */
export default class EveryTestRan implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>) {
    const unrun = testModules.flatMap((module) =>
      [...module.children.allTests()]
        .filter((test) => test.result().state !== 'passed' && test.result().state !== 'failed')
        .map(
          (test) => `${module.moduleId.replace(`${process.cwd()}/`, '')} > ${test.fullName} (${test.result().state})`,
        ),
    );
    if (unrun.length === 0) return;
    process.stderr.write(
      `\n${unrun.length} declared test(s) did not run:\n${unrun.map((line) => `  ${line}\n`).join('')}`,
    );
    process.exitCode = 1;
  }
}
