// node stopwatch.mjs <result.json> -- <command> [args…]
//
// Times one `atoauth login` from a process that does nothing else: the bench's
// own process also runs the PDS and the PLC directory, and while those are
// busy its clock readings (the URL on stderr, the exit) come late.
// Writes { startedAt, urlShownAt, exitedAt, code } (ms since the epoch, the
// clock the consent browser stamps the callback with).
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'

const [out, separator, command, ...args] = process.argv.slice(2)
if (!out || separator !== '--' || !command) {
  console.error('usage: stopwatch.mjs <result.json> -- <command> [args…]')
  process.exit(2)
}
const startedAt = Date.now()
const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] })
let urlShownAt
child.stderr.on('data', (chunk) => {
  urlShownAt ??= String(chunk).includes('/oauth/authorize?') ? Date.now() : undefined
})
child.on('exit', (code) => {
  writeFileSync(out, JSON.stringify({ startedAt, urlShownAt, exitedAt: Date.now(), code }))
})
