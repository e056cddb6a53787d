/** The layers of the design (docs/development.md, docs/request-lifecycle.md) as rules: `npm run layers` fails on any import that crosses them the wrong way. */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'a cycle makes load order matter and hides which module owns what',
      from: {},
      to: { circular: true },
    },
    {
      name: 'schemas-are-leaves',
      severity: 'error',
      comment: 'a schema is data: importing one must not read the environment, open a pool or pull in the domain',
      from: { path: '^schemas/' },
      to: { path: '^(lib|functions|scripts|server|cli|web|bench|test)/' },
    },
    {
      name: 'lib-stays-inside',
      severity: 'error',
      comment: 'lib/ is what every caller builds on; it never sees handlers, scripts, the server or tests',
      from: { path: '^lib/' },
      to: { path: '^(functions|scripts|server|bench|test|cli|web)/' },
    },
    {
      name: 'functions-are-wiring',
      severity: 'error',
      comment: 'a handler uses lib/ and schemas/ only (openapi.ts reads its siblings; the dashboard serves web/dist)',
      from: { path: '^functions/' },
      to: { path: '^(scripts|server|bench|test|cli|web/src)/' },
    },
    {
      name: 'only-endpoints-compose-http',
      severity: 'error',
      comment:
        "lib/http's composition (index.ts) is for handlers (and the server's door, and tests of the stack): nothing else builds a stack",
      from: { pathNot: '^(functions|server|test)/' },
      to: { path: '^lib/http/index\\.ts$' },
    },
    {
      name: 'cli-shares-formatting-only',
      severity: 'error',
      comment:
        "the CLI prints durations, sizes and times as the dashboard shows them (web/src/format.ts) and takes nothing else of the dashboard's",
      from: { path: '^cli/' },
      to: { path: '^web/', pathNot: '^web/src/format\\.ts$' },
    },
    {
      name: 'clients-talk-http',
      severity: 'error',
      comment: 'the dashboard and the CLI are API clients: they may share schemas and types, never server code',
      from: { path: '^(web|cli)/' },
      to: { path: '^(lib|functions|scripts|server|bench|test)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'github-is-an-adapter',
      severity: 'error',
      comment:
        "the GitHub surface converts GitHub's shapes to and from the native domain's: it calls lib/domain, never SQL (lib/infra/db's types only; its handlers hand it the pool, as every handler does)",
      from: { path: '^lib/github/' },
      to: { path: '^lib/infra/db\\.ts$', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|web/dist|dist|bin|bench/results|data|[.]stryker-tmp|reports)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
