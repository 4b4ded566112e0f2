// scripts/setup.sh on a fresh cloud machine, where another package manager is
// often at work as it boots: set-up waits for it (bounded, saying so once)
// instead of failing at once; and a Node it fetched into .tools/ is one the
// person is told how to use afterwards. apt-get here is a stand-in that
// records its arguments and answers as apt 2.6 (Debian 12) does while another
// apt holds a lock: `update` refuses at once whatever DPkg::Lock::Timeout
// says, `install` waits with it (a "Waiting for cache lock" line on stdout
// each second) and refuses at once without it. Nothing is installed.
import { execFileSync, spawnSync } from 'node:child_process'
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')
const root = mkdtempSync(join(tmpdir(), 'atoauth-setup-'))
// set-up brings a Debian machine up; its bash is what it is written for.
const linux = process.platform === 'linux'
const BASH = linux ? execFileSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim() : ''

const FAKE_APT_GET = `#!${BASH}
echo "$*" >> "$FAKE_STATE/calls"
case " $* " in
  *' update '*)
    count=$(( $(cat "$FAKE_STATE/updates" 2>/dev/null || echo 0) + 1 ))
    echo "$count" > "$FAKE_STATE/updates"
    if [ -n "\${FAKE_UPDATE_ERROR:-}" ]; then echo "$FAKE_UPDATE_ERROR" >&2; exit 100; fi
    if [ "$count" -le "\${FAKE_LISTS_HELD_FOR:-0}" ]; then
      echo 'E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)' >&2
      echo 'E: Unable to lock directory /var/lib/apt/lists/' >&2
      exit 100
    fi ;;
  *' install '*)
    if [ -n "\${FAKE_DPKG_HELD:-}" ]; then
      case " $* " in
        *' DPkg::Lock::Timeout='[1-9]*)
          for _ in 1 2 3; do
            echo 'Waiting for cache lock: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4343 (unattended-upgr)...'
          done ;;
        *)
          echo 'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4343 (unattended-upgr)' >&2
          echo 'E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?' >&2
          exit 100 ;;
      esac
    fi
    echo 'Reading package lists...'
    echo 'Setting up dbus-daemon ...' ;;
esac
`

/** A PATH of its own: the stand-in apt-get, a sudo that just runs, and the few tools set-up uses. */
function fakeBin(): string {
  const bin = mkdtempSync(join(root, 'bin-'))
  writeFileSync(join(bin, 'apt-get'), FAKE_APT_GET)
  writeFileSync(join(bin, 'sudo'), `#!${BASH}\nexec "$@"\n`)
  for (const file of ['apt-get', 'sudo']) chmodSync(join(bin, file), 0o755)
  for (const tool of ['id', 'env', 'sleep', 'cat', 'dirname', 'uname', 'mkdir']) {
    const path = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim()
    symlinkSync(path, join(bin, tool))
  }
  return bin
}

/** Sources `setup` for its functions only and runs `script`, on the fake PATH (no chromium etc.). */
function runSetup(
  script: string,
  env: Record<string, string> = {},
  setup = `${ROOT}/scripts/setup.sh`,
) {
  const state = mkdtempSync(join(root, 'state-'))
  const started = performance.now()
  const run = spawnSync(BASH, ['-c', `source "$SETUP" --functions-only\n${script}`], {
    env: { PATH: fakeBin(), FAKE_STATE: state, SETUP: setup, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })
  const calls = readFileSync(join(state, 'calls'), { encoding: 'utf8', flag: 'a+' })
  return {
    ...run,
    seconds: (performance.now() - started) / 1000,
    calls: calls.split('\n').filter(Boolean),
  }
}

const waitingLines = (stderr: string) =>
  stderr.split('\n').filter((line) => /waiting .*for another package manager/.test(line))

describe.skipIf(!linux)('set-up while another package manager holds a lock', () => {
  it('apt-get update: asked again until the lists are free, saying so once', () => {
    const run = runSetup('ensure_apt_packages', { FAKE_LISTS_HELD_FOR: '2' })
    expect(run.status, run.stderr).toBe(0)
    expect(run.calls.filter((call) => call.includes('update'))).toHaveLength(3)
    expect(waitingLines(run.stderr)).toEqual([
      expect.stringContaining(
        'Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)',
      ),
    ])
    expect(run.stderr).not.toContain('E: ')
  })

  it("apt-get install: waits with apt's own lock timeout, saying so once, and goes on", () => {
    const run = runSetup('ensure_apt_packages', { FAKE_DPKG_HELD: '1' })
    expect(run.status, run.stderr).toBe(0)
    const install = run.calls.find((call) => call.includes('install'))
    expect(install).toMatch(/-o DPkg::Lock::Timeout=600 /)
    expect(waitingLines(run.stderr)).toEqual([
      expect.stringContaining('/var/lib/dpkg/lock-frontend. It is held by process 4343'),
    ])
    expect(run.stdout).toBe('')
  })

  it("gives up when the bound is reached, with apt's own error", () => {
    const run = runSetup('ensure_apt_packages', {
      FAKE_LISTS_HELD_FOR: '1000',
      ATOAUTH_APT_LOCK_WAIT: '3',
    })
    expect(run.status).not.toBe(0)
    expect(run.stderr).toContain('E: Unable to lock directory /var/lib/apt/lists/')
    expect(waitingLines(run.stderr)).toHaveLength(1)
    expect(run.seconds).toBeLessThan(10)
    expect(run.calls.some((call) => call.includes('install'))).toBe(false)
  })

  it('does not wait on any other failure of apt-get update', () => {
    const failure = 'E: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease'
    const run = runSetup('ensure_apt_packages', { FAKE_UPDATE_ERROR: failure })
    expect(run.status).not.toBe(0)
    expect(run.calls).toHaveLength(1)
    expect(run.stderr).toContain(failure)
    expect(waitingLines(run.stderr)).toEqual([])
  })
})

describe.skipIf(!linux)('set-up with a Node it fetched into .tools/', () => {
  const version = /^ATOAUTH_NODE_VERSION=(\S+)$/m.exec(
    readFileSync(join(ROOT, 'scripts/setup.sh'), 'utf8'),
  )?.[1]
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch as string] ?? process.arch
  // A checkout with its .tools/ filled already (nothing is fetched) and a system Node of `system`.
  function checkout(system: 'old' | 'supported') {
    const repo = mkdtempSync(join(root, 'repo with space-'))
    mkdirSync(join(repo, 'scripts'))
    mkdirSync(join(repo, 'bin'))
    copyFileSync(join(ROOT, 'scripts/setup.sh'), join(repo, 'scripts/setup.sh'))
    copyFileSync(join(ROOT, 'bin/supported-node.js'), join(repo, 'bin/supported-node.js'))
    const fetched = join(repo, `.tools/node_modules/node-linux-${arch}/bin`)
    mkdirSync(fetched, { recursive: true })
    const node = (answer: string) =>
      `#!${BASH}\nif [ "$1" = --version ]; then echo ${answer}; else exec "${process.execPath}" "$@"; fi\n`
    writeFileSync(join(fetched, 'node'), node(`v${version}`))
    const systemBin = mkdtempSync(join(root, 'system-'))
    writeFileSync(
      join(systemBin, 'node'),
      system === 'old' ? `#!${BASH}\necho v20.0.0\nexit 1\n` : node(process.version),
    )
    for (const dir of [fetched, systemBin]) chmodSync(join(dir, 'node'), 0o755)
    return { repo, fetched, systemBin }
  }

  it('the last lines say how to put it on PATH and run atoauth, and they work in a shell', () => {
    const { repo, fetched, systemBin } = checkout('old')
    const run = runSetup(
      `PATH=${JSON.stringify(systemBin)}:$PATH\nensure_node\nsay_how_to_run_atoauth`,
      {},
      join(repo, 'scripts/setup.sh'),
    )
    expect(run.status, run.stderr).toBe(0)
    const lines = run.stderr.trimEnd().split('\n')
    expect(lines.at(-3)).toMatch(/Node \S+ is in \.tools\/, not on your PATH/)
    const commands = lines.slice(-2).join('\n')
    // What a person would paste, in a shell whose PATH has only the old Node.
    const pasted = spawnSync(
      BASH,
      ['-O', 'expand_aliases', '-c', `${commands}\nnode --version\ntype atoauth`],
      { env: { PATH: `${systemBin}:/usr/bin:/bin` }, encoding: 'utf8' },
    )
    expect(pasted.stdout).toContain(`v${version}\n`)
    expect(pasted.stdout).toContain(`node '${repo}/bin/atoauth.js'`)
    expect(commands).toContain(`'${fetched}'`)
  })

  it('says nothing of the kind when the system Node will do', () => {
    const { repo, systemBin } = checkout('supported')
    const run = runSetup(
      `PATH=${JSON.stringify(systemBin)}:$PATH\nensure_node\nsay_how_to_run_atoauth`,
      {},
      join(repo, 'scripts/setup.sh'),
    )
    expect(run.status, run.stderr).toBe(0)
    expect(run.stderr).not.toContain('.tools')
  })
})
