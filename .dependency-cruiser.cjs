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
      to: { pathNot: '^src/(domain|application)', dependencyTypesNot: ['core'] },
    },
    {
      name: 'resolvers-stay-thin',
      comment:
        'Resolvers call use cases and throw AppErrors (src/server maps them for clients); they never reach into infra adapters.',
      severity: 'error',
      from: { path: '^src/resolvers' },
      to: { path: '^src/(infra|jobs)' },
    },
    {
      name: 'infra-holds-adapters-only',
      comment:
        "src/infra implements the domain's ports (db, Kafka, Redis, LLM, auth, tracing, logging, metric families) and " +
        'knows nothing above them: not the GraphQL edge (src/server), the resolvers, the workers (src/jobs) or the ' +
        'wiring. Adapters are composed by src/wiring and src/app.ts, never the other way round.',
      severity: 'error',
      from: { path: '^src/infra' },
      to: { path: '^src/(server|resolvers|jobs|wiring)/' },
    },
    {
      name: 'server-reaches-infra-through-wiring',
      comment:
        'The GraphQL edge (src/server) gets adapters from the composition root (src/app.ts, src/wiring) as ports or ' +
        'functions, so one request is read in src/server and src/resolvers alone. Two infra modules are allowed: ' +
        'lifecycle.ts (the start/stop contract every component shares; no I/O, no library) and, as types only (see ' +
        'server-sees-only-infra-types), the logger and the app tracer.',
      severity: 'error',
      from: { path: '^src/server' },
      to: { path: '^src/infra', pathNot: '^src/infra/(lifecycle|logger|tracing/otel-tracer)\\.ts$' },
    },
    {
      name: 'server-sees-only-infra-types',
      comment:
        "The edge names the logger's and the app tracer's types (erased at compile time), but never calls pino or " +
        'OpenTelemetry itself: the instances come from the composition root.',
      severity: 'error',
      from: { path: '^src/server' },
      to: { path: '^src/infra/(logger|tracing/otel-tracer)\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'only-the-root-uses-the-edge',
      comment:
        'src/server is the outermost layer: the composition root (src/app.ts, src/wiring) builds it and nothing below ' +
        'it (domain, use cases, resolvers, workers, adapters, CLIs) imports it. src/tooling.ts re-exports the web ' +
        'bundler for the build script; tests may import what they test.',
      severity: 'error',
      from: { pathNot: '^src/(server/|wiring/|app\\.ts$|tooling\\.ts$)|^test/' },
      to: { path: '^src/server/' },
    },
    {
      name: 'only-the-root-wires',
      comment:
        'Nothing in src imports the composition root or the CLIs (tools and tests beside src may: they run the app).',
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
