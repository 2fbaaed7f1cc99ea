// The CLI as a few bundled files (dist/bundle/): node resolves and compiles one module
// graph of ~200 files in ~100 ms, a bundle in ~35 ms — a third of a warm rebuild.
// Commands stay lazily loaded: dynamic imports become chunks. The library entry
// (dist/index.js) is not bundled.
import commonjs from '@rollup/plugin-commonjs';
import resolve from '@rollup/plugin-node-resolve';

export default {
  input: { main: 'dist/cli/main.js' },
  output: {
    dir: 'dist/bundle',
    format: 'es',
    entryFileNames: '[name].mjs',
    chunkFileNames: '[name]-[hash].mjs',
  },
  // Our native addons are not modules of the graph: native-file.ts requires them
  // from build/Release/ by path, on first use.
  external: [/^node:/],
  plugins: [resolve({ preferBuiltins: true }), commonjs()],
  onwarn(warning, warn) {
    // nearley's and moo's UMD wrappers use `this` at the top level: harmless.
    if (warning.code === 'THIS_IS_UNDEFINED') return;
    warn(warning);
  },
};
