// The layering rules (docs/architecture.md), checked by test/architecture.test.ts as part of `npm test`, or by hand
// with `npx depcruise src`. Paths are relative to the repository root. Test files (`*.test.ts`) may use the test
// runner, fast-check and test helpers, so the layering rules look at the code they test, not at them; cycles and
// imports of test/ are refused everywhere.
const testFile = '\\.test\\.ts$'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-imports-only-core',
      comment:
        'src/core is the pure domain: it imports nothing outside src/core (no adapter, no npm package), so that it ' +
        'runs anywhere, the browser included.',
      severity: 'error',
      from: { path: '^src/core/', pathNot: testFile },
      to: { pathNot: '^src/core/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'core-does-no-io',
      comment:
        'src/core does no I/O: of the Node built-ins it may use only node:crypto (hashing is computation). Files, ' +
        'sockets, processes, timers and the clock belong to the adapters; time and ids come in as arguments.',
      severity: 'error',
      from: { path: '^src/core/', pathNot: testFile },
      to: { dependencyTypes: ['core'], pathNot: '^(node:)?crypto$' },
    },
    {
      name: 'store-and-bus-import-only-core',
      comment:
        'The event store and the bus are adapters around the core: besides their own folder they import only ' +
        'src/core (and their npm libraries), never the service, HTTP or a feature.',
      severity: 'error',
      from: { path: '^src/(store|bus)/', pathNot: testFile },
      to: { path: '^src/', pathNot: ['^src/core/', '^src/$1/'] },
    },
    {
      name: 'delivery-imports-nothing-from-http',
      comment:
        'A sink does not borrow HTTP types or routes: what it carries is defined in src/app, and the runtime mounts ' +
        'its routes.',
      severity: 'error',
      from: { path: '^src/delivery/', pathNot: testFile },
      to: { path: '^src/(http|runtime)/' },
    },
    {
      name: 'only-app-and-runtime-import-the-store',
      comment:
        'The store is reached through the service ports (src/app/ports.ts); only the service and the composition ' +
        'root see it. Record types live in src/core/records.ts.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/(app|runtime|store)/', testFile, '/testdata/'] },
      // private-files is not the store: it is the data directory's file-mode helper, for every file Sirena keeps there.
      to: { path: '^src/store/', pathNot: '^src/store/private-files\\.ts$' },
    },
    {
      name: 'no-cycles',
      comment:
        'No import cycles, type-only imports included: a cycle means two modules are one concept split in two, or ' +
        'one of them holds something both need.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-does-not-import-test',
      comment: 'test/ builds on src, never the reverse: helpers that src tests share live in a testdata folder in src.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: {
      // The Preact components (.tsx) are listed but not read: dependency-cruiser 17 parses TypeScript with swc, and
      // it configures swc without JSX. What imports a component is still seen; what a component imports is not.
      path: ['node_modules', '\\.tsx$'],
    },
    // TypeScript 7 has no JavaScript API for dependency-cruiser to parse with, so swc (@swc/core) reads the sources.
    // swc keeps type-only imports, so a cycle made of types alone is a cycle too.
    parser: 'swc',
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
}
