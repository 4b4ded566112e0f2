#!/usr/bin/env node
// Launcher: caches compiled modules across runs (a CLI is started over and
// over by scripts), then hands over to the real program.
import module from 'node:module'

module.enableCompileCache?.()
const { main, exitWith } = await import('../dist/cli.js')
await exitWith(await main(process.argv))
