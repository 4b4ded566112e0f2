#!/usr/bin/env node
// Launcher: checks the Node version, caches compiled modules across runs (a
// CLI is started over and over by scripts) in a folder of this user's alone,
// then hands over to the real program. Nothing of dist/ is loaded before the
// check, and the files of bin/ keep to syntax that old Node versions can parse.
import { enablePrivateCompileCache } from './compile-cache.js'
import { isSupportedNode, unsupportedNodeReport } from './supported-node.js'

if (isSupportedNode(process.versions.node)) {
  await start()
} else {
  const args = process.argv.slice(2)
  const { stdout = '', stderr = '' } = unsupportedNodeReport(
    process.versions.node,
    process.argv[1],
    args,
  )
  process.stdout.write(stdout)
  process.stderr.write(stderr)
  // Not process.exit(): it could cut the message short on a pipe.
  process.exitCode = 1
}

async function start() {
  // A reader that leaves early (`atoauth whoami | head -1`) closes the pipe.
  // What is left to write is dropped and the command ends as it would have,
  // with its own exit code: no stack trace, and not 141 either, which
  // `set -o pipefail` would count as a failure of a command that did its work
  // (nor is a command cut off half-way, a login stored but not yet recorded).
  // A terminal that hung up (SIGHUP) answers EIO the same way: nobody is there to read, and
  // atoauth may be finishing a token refresh it must not be thrown out of.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err) => {
      if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err
    })
  }

  enablePrivateCompileCache()
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
}
