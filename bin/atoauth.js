#!/usr/bin/env node
// Launcher: caches compiled modules across runs (a CLI is started over and
// over by scripts), then hands over to the real program.
import module from 'node:module'

module.enableCompileCache?.()
const { main, exitWith } = await import('../dist/cli.js')
let code = 1
try {
  code = await main(process.argv)
} catch (err) {
  // A bug: say so, and still leave (exitWith knows when Node's exit would hang).
  console.error(err)
} finally {
  await exitWith(code)
}
