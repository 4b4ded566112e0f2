#!/usr/bin/env node
// Launcher: caches compiled modules across runs (a CLI is started over and
// over by scripts), then hands over to the real program.
import module from 'node:module'

// A reader that leaves early (`atoauth whoami | head -1`) closes the pipe.
// What is left to write is dropped and the command ends as it would have,
// with its own exit code: no stack trace, and not 141 either, which
// `set -o pipefail` would count as a failure of a command that did its work
// (nor is a command cut off half-way, a login stored but not yet recorded).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err
  })
}

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
