// npm run build: bundles src/ into dist/ with esbuild.
//
// atoauth is started over and over by scripts, so its start-up is most of its
// cost, and most of that is Node finding, reading and compiling modules one
// file at a time (the OAuth and API libraries are hundreds of files). A bundle
// is a few files. Code splitting keeps what a command loads with import()
// out of the start-up chunk: `whoami` on a warm session never loads the OAuth
// client, `--help` loads neither it nor the keychain.
//
// Left outside the bundle: @napi-rs/keyring, a native addon found at run time,
// and `open`, which runs the xdg-open script shipped in its own directory.
// Type-checking is `npm run typecheck`; esbuild only strips the types.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'

/**
 * @atproto-labs/fetch-node imports three copies of undici (6, 7 and 8, one
 * for each Node version's own) to build the SSRF-safe agent of the handle
 * resolver, and uses one of them, only when that resolver is made. Evaluated
 * at start-up they are 2.3 MB of the OAuth client's 2.5 MB chunk. Each is
 * replaced by a stand-in whose Agent loads the real package when constructed.
 */
const undiciOnFirstUse = {
  name: 'undici-on-first-use',
  setup(build) {
    build.onResolve({ filter: /^undici_v[0-9]+$/ }, (args) =>
      args.namespace === 'undici-stand-in'
        ? undefined
        : { path: args.path, namespace: 'undici-stand-in', pluginData: args.resolveDir },
    )
    build.onLoad({ filter: /.*/, namespace: 'undici-stand-in' }, (args) => ({
      contents: `export class Agent {
  constructor(...options) {
    const { Agent } = require(${JSON.stringify(args.path)})
    return new Agent(...options)
  }
}`,
      resolveDir: args.pluginData,
      loader: 'js',
    }))
  },
}

const root = join(import.meta.dirname, '..')
const outdir = join(root, 'dist')

rmSync(outdir, { recursive: true, force: true })
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external: ['@napi-rs/keyring', 'open'],
  plugins: [undiciOnFirstUse],
  // Error classes keep their names (error output and `name` checks read them).
  keepNames: true,
  minifyWhitespace: true,
  minifySyntax: true,
  // Bundled CommonJS packages call require() for Node's built-in modules, and
  // write-file-atomic hashes __filename into its temporary file names.
  banner: {
    js: [
      "const require = globalThis.process.getBuiltinModule('node:module').createRequire(import.meta.url);",
      'const __filename = import.meta.filename;',
      'const __dirname = import.meta.dirname;',
    ].join(' '),
  },
  logLevel: 'warning',
})
