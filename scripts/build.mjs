// npm run build: bundles src/ into dist/ with esbuild.
//
// atoauth is started over and over by scripts, so its start-up is most of its
// cost, and most of that is Node finding, reading and compiling modules one
// file at a time (the OAuth and API libraries are hundreds of files). A bundle
// is a few files. Code splitting keeps what a command loads with import()
// out of the start-up chunk: `whoami` on a warm session never loads the OAuth
// client, `--help` loads neither it nor the keychain.
//
// Left outside the bundle: @napi-rs/keyring, a native addon found at run time
// (the installed package's only dependency). `open` is bundled with its own
// xdg-open script beside it (below).
// Type-checking is `npm run typecheck`; esbuild only strips the types. The
// build also writes dist/THIRD_PARTY_NOTICES.md: the licenses of the bundled code.
import { execFileSync } from 'node:child_process'
import { copyFileSync, rmSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import { dirname, join } from 'node:path'
import { build } from 'esbuild'
import { writeThirdPartyNotices } from './third-party-notices.mjs'

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

/**
 * The facet detection of @atproto/api (src/post/facet-detection.ts) imports
 * `graphemeLen` from @atproto/common-web, which re-exports it from
 * @atproto/lex-data. Through common-web every post would load zod (130 KB), and
 * lex-data makes an Intl.Segmenter as it loads (17 ms), for a function the
 * detection calls only on a hashtag over 64 characters. Those two files get the
 * same count (Intl.Segmenter's graphemes) from a segmenter made on first use.
 */
const graphemeLenOnFirstUse = {
  name: 'grapheme-len-on-first-use',
  setup(build) {
    build.onResolve({ filter: /^@atproto\/common-web$/ }, (args) =>
      args.importer.includes('/@atproto/api/dist/rich-text/')
        ? { path: 'grapheme-len', namespace: 'grapheme-len-on-first-use' }
        : undefined,
    )
    build.onLoad({ filter: /.*/, namespace: 'grapheme-len-on-first-use' }, () => ({
      contents: `let segmenter
export function graphemeLen(text) {
  segmenter ??= new Intl.Segmenter()
  let count = 0
  for (const _ of segmenter.segment(text)) count++
  return count
}`,
      loader: 'js',
    }))
  },
}

/**
 * An `import` of a Node built-in module goes through its ES-module facade,
 * which reads every export of the module once, lazy getters included:
 * `node:fs` then loads fs/promises and readline, `node:util` parseArgs and
 * its diff, `node:http` undici, `process` the diagnostic report. Bundled
 * packages import them too (esbuild turns a CommonJS require of a built-in
 * into an import). Built-ins are taken from process.getBuiltinModule instead:
 * for an import, with the plain values among their exports as named exports
 * (an import of a lazy one fails the build unless listed below), and `process`
 * as the default export only, as its values change as it runs; for a
 * require, the module object itself.
 */
/**
 * The exports of a built-in that are already there in a fresh process. Some
 * look like plain values but load modules when first read (util.diff loads
 * 23); reading them all in one process, one order and then the other, finds
 * each one that loads anything.
 */
function plainExports(specifier) {
  const lazy = new Set()
  let names = []
  for (const order of ['forward', 'backward']) {
    const probe = `
      const module = process.getBuiltinModule(${JSON.stringify(specifier)})
      const names = Object.getOwnPropertyNames(module)
      if (${JSON.stringify(order)} === 'backward') names.reverse()
      const lazy = names.filter((name) => {
        const loaded = process.moduleLoadList.length
        const plain = 'value' in Object.getOwnPropertyDescriptor(module, name)
        return !plain || process.moduleLoadList.length !== loaded
      })
      process.stdout.write(JSON.stringify({ names, lazy }))`
    const found = JSON.parse(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }))
    names = found.names
    for (const name of found.lazy) lazy.add(name)
  }
  return names.filter(
    (name) => !lazy.has(name) && name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name),
  )
}

/**
 * The lazy exports that bundled code imports by name, read when their module
 * is (webcrypto costs a fraction of a millisecond; jose uses it). A build
 * error "Import … will always be undefined … in builtin:…" names any other.
 */
const LAZY_EXPORTS_IMPORTED = { crypto: ['webcrypto'] }

const builtinsWithoutFacade = {
  name: 'builtins-without-facade',
  setup(build) {
    build.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      if (!isBuiltin(args.path)) return undefined
      // A CommonJS require gets the module object itself: some packages
      // patch it (graceful-fs replaces fs.close).
      const namespace = args.kind === 'require-call' ? 'builtin-cjs' : 'builtin'
      return { path: args.path.replace(/^node:/, ''), namespace }
    })
    build.onLoad({ filter: /.*/, namespace: 'builtin-cjs' }, ({ path }) => ({
      contents: `module.exports = globalThis.process.getBuiltinModule(${JSON.stringify(`node:${path}`)})`,
      loader: 'js',
    }))
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, ({ path }) => {
      const specifier = `node:${path}`
      const values =
        path === 'process'
          ? []
          : [...plainExports(specifier), ...(LAZY_EXPORTS_IMPORTED[path] ?? [])]
      const get = `globalThis.process.getBuiltinModule(${JSON.stringify(specifier)})`
      return {
        contents: [
          `const builtin = ${get}`,
          'export default builtin',
          values.length ? `export const { ${values.join(', ')} } = builtin` : '',
        ].join('\n'),
        loader: 'js',
      }
    })
  },
}

const root = join(import.meta.dirname, '..')
const outdir = join(root, 'dist')

rmSync(outdir, { recursive: true, force: true })
const { metafile } = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external: ['@napi-rs/keyring'],
  plugins: [undiciOnFirstUse, graphemeLenOnFirstUse, builtinsWithoutFacade],
  // Error classes keep their names (error output and `name` checks read them).
  keepNames: true,
  minifyWhitespace: true,
  minifySyntax: true,
  // Bundled CommonJS packages call require() for Node's built-in modules.
  banner: {
    js: "const require = globalThis.process.getBuiltinModule('node:module').createRequire(import.meta.url);",
  },
  // write-file-atomic hashes __filename into its temporary file names. A
  // define replaces only the free names: `open` declares its own __dirname.
  define: { __filename: 'import.meta.filename', __dirname: 'import.meta.dirname' },
  logLevel: 'warning',
  // A name no module exports (a lazy export of a built-in, above) is a bug.
  logOverride: { 'import-is-undefined': 'error' },
  // Lists what went into the bundle, for xdg-open and the notices below.
  metafile: true,
})
// `open` runs the xdg-open it ships (found beside its own code through
// import.meta.url) on Linux, and the system's when that is missing; its 11
// dependencies, bundled, would have been 11 more packages to install.
const [openChunk] = Object.entries(metafile.outputs).find(
  ([, output]) => output.inputs['node_modules/open/index.js'],
)
copyFileSync(join(root, 'node_modules/open/xdg-open'), join(root, dirname(openChunk), 'xdg-open'))
// In dist/, whose code it describes: shipped with it, and rebuilt with it.
writeThirdPartyNotices(metafile, root, join(outdir, 'THIRD_PARTY_NOTICES.md'))
