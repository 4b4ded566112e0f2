// Command lines atoauth suggests are pasted into shells: a value atoauth did not write (a scope
// from a server's 403, a handle a server reported, a path) cannot make the pasted line run
// anything, and a value that is not what it claims to be is left out for a placeholder.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isValidDid, isValidHandle } from '@atproto/syntax'
import { parse } from 'shell-quote'
import { describe, expect, it } from 'vitest'
import { missingScopeOf, scopeMissingError } from '../../src/auth/scope-check.ts'
import { sshTunnelCommand } from '../../src/auth/wait.ts'
import { sessionCheck } from '../../src/doctor/accounts-check.ts'
import { configDirCheck } from '../../src/doctor/config-dir-check.ts'
import { accountWord, shellWord, suggestCommand } from '../../src/errors/suggested-command.ts'
import { SessionEndedError } from '../../src/errors.ts'

const HOSTILE_SCOPE = "repo:x' ; touch pwned ; '"
const HOSTILE_HANDLE = "alice'$(touch pwned)'.test"

/** The words a POSIX shell makes of `line`, run with `atoauth` (etc.) as a function printing them. */
function wordsInShell(line: string): { words: string[]; sideEffects: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'atoauth-paste-'))
  const script = `say() { printf '%s\\0' "$@"; }; alias atoauth=say chmod=say ssh=say\n${line}\n`
  // bash -O expand_aliases: the aliases apply to the pasted line (sh would need them defined first).
  const out = execFileSync('bash', ['-O', 'expand_aliases', '-c', script], { cwd: dir })
  return { words: String(out).split('\0').slice(0, -1), sideEffects: readdirSync(dir) }
}

/** The command lines in a hint: from the command's name up to a parenthesis, ", or" or the end. */
function commandsIn(hint: string): string[] {
  const commands = hint.matchAll(/\b(?:atoauth|chmod|ssh) [^()]*?(?=,? \(|\)|, or |$)/g)
  return [...commands].map((m) => m[0])
}

/** Tokens of a command line for shell-quote, with placeholders (`<handle>`) taken as words. */
function operatorsIn(command: string): unknown[] {
  const tokens = parse(command.replace(/<(\w+)>/g, 'PLACEHOLDER_$1'))
  return tokens.filter((token) => typeof token !== 'string')
}

// No POSIX shell on the Windows runner: the words are checked there through shell-quote only.
const posix = process.platform !== 'win32'

describe('a value atoauth did not write, as one shell word', () => {
  it('stays bare when no shell gives its characters a meaning', () => {
    for (const plain of [
      'alice.bsky.social',
      'did:plc:abc123',
      'did:web:x.test%3A8080',
      'post,delete',
    ]) {
      expect(shellWord(plain)).toBe(plain)
    }
    expect(shellWord('https://alice.github.io/meta.json')).toBe('https://alice.github.io/meta.json')
  })

  const NASTY = [
    "it's",
    'a b',
    '$(touch pwned)',
    '`touch pwned`',
    'x;touch pwned',
    "'",
    "''''",
    '',
    '=ls',
    '~',
    '*',
    'repo:app.bsky.feed.like?action=create',
    'line\nbreak',
    '\\',
    '"$HOME"',
    '!!',
    '#comment',
    'a&b|c>d<e',
    '{a,b}',
  ]

  it("is quoted otherwise, each quote as '\\''", () => {
    expect(shellWord("it's")).toBe(`'it'\\''s'`)
    expect(shellWord('a b')).toBe(`'a b'`)
    expect(shellWord('')).toBe(`''`)
    for (const value of NASTY) expect(parse(shellWord(value))).toEqual([value])
  })

  it.skipIf(!posix)('reaches the program as it is, running nothing (bash)', () => {
    const line = `atoauth ${NASTY.map(shellWord).join(' ')}`
    expect(wordsInShell(line)).toEqual({ words: NASTY, sideEffects: [] })
  })
})

describe('scope_missing from a hostile 403', () => {
  const alice = { handle: 'alice.test', scope: 'atproto repo:app.bsky.feed.post?action=create' }
  const answer = (scope: string) => ({
    error: 'ScopeMissingError',
    message: `Missing required scope "${scope}"`,
  })

  it('leaves a scope with shell syntax out of the hint: nothing in it can run', () => {
    const missing = missingScopeOf(answer(HOSTILE_SCOPE)) as string
    const { hint, details } = scopeMissingError(missing, alice)
    expect(details).toEqual({ scope: HOSTILE_SCOPE })
    expect(hint).not.toContain('touch')
    expect(hint).toBe(
      'Log in with a session that may: atoauth login alice.test --scope <scope> (for CI: atoauth session create alice.test --scope <scope> --out …)',
    )
    for (const command of commandsIn(hint as string)) expect(operatorsIn(command)).toEqual([])
  })

  it.skipIf(!posix)('quotes a scope it can show, so the pasted login asks for exactly it', () => {
    const missing = missingScopeOf(answer('repo:app.bsky.feed.like?action=create')) as string
    const { hint } = scopeMissingError(missing, alice)
    const [login, create] = commandsIn(hint as string)
    expect(wordsInShell(login as string).words).toEqual([
      'login',
      'alice.test',
      '--scope',
      'repo:app.bsky.feed.like?action=create',
    ])
    expect(create).toMatch(/^atoauth session create alice\.test --scope '[^']+' --out …$/)
  })

  it('leaves out a handle that is no handle, and keeps a DID', () => {
    const { hint } = scopeMissingError('repo:*', { ...alice, handle: HOSTILE_HANDLE })
    expect(hint).toContain("atoauth login <handle> --scope 'repo:*'")
    const byDid = scopeMissingError('repo:*', { ...alice, handle: 'did:plc:alice' })
    expect(byDid.hint).toContain('atoauth login did:plc:alice --scope')
  })
})

describe('which handles and DIDs a line may name', () => {
  // The specs' regular expressions, without loading @atproto/syntax at start-up: same verdicts.
  const SAMPLES = [
    'alice.bsky.social',
    'alice.test',
    'xn--ls8h.test',
    'a.b.c.d.example',
    `${'a'.repeat(63)}.test`,
    `${'a'.repeat(64)}.test`,
    `${'a.'.repeat(126)}test`,
    'alice',
    'alice.bsky.social.',
    '.alice.test',
    '-alice.test',
    'alice-.test',
    'alice.123',
    'alice.t3st',
    'al_ice.test',
    'alice .test',
    'alicé.test',
    HOSTILE_HANDLE,
    'did:plc:z72i7hdynmk6r22z27h6tvur',
    'did:web:example.com',
    'did:web:localhost%3A2583',
    'did:method:val:two',
    'did:plc:abc:',
    'did:PLC:abc',
    'did:plc:',
    'did:plc:a b',
    "did:plc:a'b",
    `did:plc:${'a'.repeat(2040)}`,
    `did:plc:${'a'.repeat(2041)}`,
  ]

  it.each(SAMPLES)('%s: as @atproto/syntax judges it', (value) => {
    const valid = value.startsWith('did:') ? isValidDid(value) : isValidHandle(value)
    expect(accountWord(value).word).toBe(valid ? value : '<handle>')
  })
})

describe('log in again', () => {
  it('names a handle or a DID as it is, and leaves out anything else', () => {
    expect(new SessionEndedError('alice.test', 'revoked').hint).toBe(
      'Log in again: atoauth login alice.test',
    )
    expect(new SessionEndedError('did:plc:alice', 'revoked').hint).toBe(
      'Log in again: atoauth login did:plc:alice',
    )
    expect(new SessionEndedError(HOSTILE_HANDLE, 'revoked').hint).toBe(
      'Log in again: atoauth login <handle>',
    )
    expect(accountWord('a b.test', '<account>').word).toBe('<account>')
  })

  it("doctor's session check leaves out a handle with shell syntax", async () => {
    const check = await sessionCheck(
      {
        did: 'did:plc:alice',
        handle: HOSTILE_HANDLE,
        pds: 'https://pds.test',
        issuer: 'https://pds.test',
        clientId: 'https://atoauth.github.io/oauth-client-metadata.json',
        scope: 'atproto',
        loginAt: '2026-12-01T00:00:00.000Z',
        location: 'the keychain',
        sessions: { get: async () => undefined },
        warnings: [],
      },
      new Date('2026-12-02T00:00:00.000Z'),
    )
    expect(check.hint).toBe('Log in again: atoauth login <handle>')
  })
})

describe('paths and host names', () => {
  it.skipIf(!posix)(
    "doctor's chmod names a config dir with spaces and quotes as one word",
    async () => {
      const dir = join(mkdtempSync(join(tmpdir(), 'atoauth-')), "John's config $(touch pwned)")
      execFileSync('mkdir', ['-m', '755', dir])
      const check = await configDirCheck(dir)
      expect(check.hint).toBe(suggestCommand`chmod 700 ${dir}`)
      expect(wordsInShell(check.hint as string)).toEqual({ words: ['700', dir], sideEffects: [] })
    },
  )

  it('the SSH tunnel names an odd user name as one word', () => {
    const command = sshTunnelCommand(8765, { USER: "o'brien; touch pwned" })
    expect(operatorsIn(command)).toEqual([])
    expect(parse(command).at(-1)).toMatch(/^o'brien; touch pwned@/)
  })
})

describe('every suggested command line in src/', () => {
  // Templates that name a command and interpolate a value must go through suggestCommand.
  const COMMANDS =
    'login|logout|switch|session|delete|post|api|whoami|status|doctor|client-metadata'
  const RAW = new RegExp(
    `(?<!suggestCommand)\`[^\`]*\\b(?:atoauth (?:${COMMANDS})\\b|chmod |ssh -)[^\`]*\\$\\{`,
  )
  const sources = readdirSync('src', { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join('src', file).replaceAll('\\', '/'))

  it('quotes its values (suggestCommand)', () => {
    const raw = sources.filter((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .some((line) => RAW.test(line) && !line.trimStart().startsWith('//')),
    )
    expect(raw).toEqual([])
  })
})
