// Preload (node --import) for the child processes some tests start from src/:
// our sources import each other as './x.js' (what the bundle and TypeScript
// expect), while the files on disk are './x.ts'. Node strips the types itself;
// this only points such imports at the .ts file.
import { existsSync } from 'node:fs'
import module from 'node:module'
import { fileURLToPath } from 'node:url'

module.registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL) {
      const ts = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL)
      if (existsSync(fileURLToPath(ts))) return nextResolve(ts.href, context)
    }
    return nextResolve(specifier, context)
  },
})
