/**
 * The layering of DESIGN.md / STYLE.md, checked by `npm run lint`:
 * cli → api → build → {dockerfile, context, runtime, registry, store} → {image, layer} → util → errors.
 */
const SUBSYSTEMS = ['dockerfile', 'context', 'runtime', 'registry', 'store'];

module.exports = {
  forbidden: [
    {
      name: 'no-import-cli',
      severity: 'error',
      from: { pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'api-only-from-cli',
      severity: 'error',
      from: { pathNot: '^src/(cli/|api/|index\\.ts)' },
      to: { path: '^src/api/' },
    },
    {
      name: 'build-only-from-api',
      severity: 'error',
      from: { pathNot: '^src/(cli|api|build)/' },
      to: { path: '^src/build/' },
    },
    ...SUBSYSTEMS.map((s) => ({
      name: `${s}-is-independent`,
      severity: 'error',
      from: { path: `^src/(${SUBSYSTEMS.filter((o) => o !== s).join('|')})/` },
      to: { path: `^src/${s}/` },
    })),
    {
      name: 'primitives-stay-low',
      severity: 'error',
      from: { path: '^src/(image|layer|util)/' },
      to: { path: `^src/(cli|api|build|${SUBSYSTEMS.join('|')})/` },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.gen\\.ts$' },
  },
};
