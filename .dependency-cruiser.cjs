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
      comment: 'Nothing imports the composition root or the CLIs.',
      severity: 'error',
      from: { pathNot: '^src/(main|cli/)' },
      to: { path: '^src/(main|app)\\.ts$|^src/cli/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
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
