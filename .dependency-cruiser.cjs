/**
 * The dependency rule (see ../DESIGN notes in README): the domain is pure, use cases
 * depend only on the domain, and nothing but the composition root wires the rest.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'src/domain imports only src/domain: no ORM, Kafka, BullMQ, Redis, GraphQL, OpenAI or infra code.',
      severity: 'error',
      from: { path: '^src/domain' },
      to: { pathNot: '^src/domain' },
    },
    {
      name: 'application-depends-on-domain-only',
      comment: 'Use cases see ports, never adapters or libraries with I/O.',
      severity: 'error',
      from: { path: '^src/application' },
      to: { pathNot: '^src/(domain|application)' , dependencyTypesNot: ['core'] },
    },
    {
      name: 'resolvers-stay-thin',
      comment: 'Resolvers call use cases and map errors; they never reach into infra adapters.',
      severity: 'error',
      from: { path: '^src/resolvers' },
      to: { path: '^src/(infra|jobs)' },
    },
    {
      name: 'only-the-root-wires',
      comment: 'Nothing in src imports the composition root or the CLIs (tools and tests beside src may: they run the app).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(main|cli/)' },
      to: { path: '^src/(main|app)\\.ts$|^src/cli/' },
    },
    {
      name: 'tools-use-public-entries',
      comment:
        'bench/, scripts/ and tools/ (the toolkit they share with the tests) never reach into src/infra: they use the ' +
        'composition root (src/app.ts), src/wiring, or src/tooling.ts, the one module that re-exports the adapters ' +
        'tools may use, so adapters can move without the tools following. Tests may: they test the adapters.',
      severity: 'error',
      from: { path: '^(bench|scripts|tools)/' },
      to: { path: '^src/infra/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { pathNot: '^scripts/chaos/' },
      to: { circular: true },
    },
    {
      name: 'no-circular-at-runtime-in-chaos',
      comment: 'The chaos run shares type declarations both ways between its fault modules; only a cycle of real imports is refused there.',
      severity: 'error',
      from: { path: '^scripts/chaos/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^src/generated' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['require', 'node', 'default', 'types'] },
  },
};
