import { defineConfig } from 'vitest/config';
import base from './vitest.config';

// The configuration npm run mutate hands to Stryker's vitest runner (see stryker.config.mjs), which has no --project
// option: the projects of vitest.config.ts that MUTATE_PROJECTS names (comma-separated; unit by default, add
// integration with DATABASE_URL set for the modules only the database tests reach), each narrowed to the test files
// MUTATE_TESTS names (comma-separated globs) when it is set. A static mutant (one in a module-level constant) runs
// every test file of these projects, so the narrower they are, the faster a run.
const wanted = (process.env.MUTATE_PROJECTS ?? 'unit').split(',').map((name) => name.trim());
const tests = process.env.MUTATE_TESTS?.split(',').map((glob) => glob.trim());
const projects = (base.test?.projects ?? []).flatMap((project) => {
  if (typeof project !== 'object' || !('test' in project)) return [];
  const name = project.test?.name;
  if (!wanted.includes(typeof name === 'string' ? name : (name?.label ?? ''))) return [];
  return [tests ? { ...project, test: { ...project.test, include: tests } } : project];
});
if (projects.length !== wanted.length) {
  throw new Error(`MUTATE_PROJECTS names ${wanted.join(', ')}, but vitest.config.ts has ${projects.length} of them`);
}

export default defineConfig({
  ...base,
  test: { ...base.test, projects, reporters: ['default', './test/helpers/unloadableFileFails.ts'] },
});
