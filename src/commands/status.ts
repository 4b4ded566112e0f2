// atoauth status: each account's session age and end (14 days after login for a public client),
// warning in its last 3 days and once it has ended. Local records only (no network, no keychain),
// so it is cheap to run at the top of every CI job.
import { Command } from 'commander'
import { presetsOf } from '../auth/scope-presets.js'
import type { Context } from '../context.js'
import { accountWord, suggestCommand } from '../errors/suggested-command.js'
import { ExitCode } from '../errors.js'
import { type CommandResult, localTime } from '../output.js'
import { formatDuration, type SessionLife, sessionLife } from '../session-lifetime.js'
import { withExamples } from './help.js'
import type { Runner } from './runner.js'

export function statusCommand(run: Runner): Command {
  const status = new Command('status').description(
    'show each session’s age and end; exit 3 when the account in use must log in again',
  )
  return withExamples(status, [
    'atoauth status',
    'atoauth status --account alice.bsky.social || atoauth login alice.bsky.social',
    `atoauth status --json | jq -r '.accounts[] | select(.state != "active") | .handle'`,
  ]).action((_flags, command: Command) => run(command, (ctx) => runStatus(ctx)))
}

export async function runStatus(ctx: Context): Promise<CommandResult> {
  const now = ctx.now()
  const accounts = (await ctx.accounts.list()).map(({ needsLogin, ...a }) => ({
    ...a,
    preset: presetsOf(a.scope)?.join(',') ?? null,
    ...sessionLife({ loginAt: a.loginAt, needsLogin }, now),
  }))
  if (accounts.length === 0) {
    ctx.out.info('No account is logged in. Log in with: atoauth login <handle>')
  }
  for (const a of accounts) {
    if (a.store === 'file') {
      // Said here and when such a session is written, not by every command that reads it.
      const { FileSecretStore } = await import('../store/secret-store.js')
      const { location } = new FileSecretStore(ctx.settings.configDir)
      ctx.out.warn(
        `the session of ${a.handle} is kept in plaintext in ${location} (insecure storage); to keep it ` +
          suggestCommand`in the OS keychain, log in again without --insecure-storage and with ATOAUTH_STORE unset: atoauth login ${accountWord(a.handle)}`,
      )
    }
    if (a.state === 'ending_soon') {
      ctx.out.warn(
        `the session of ${a.handle} ends in ${formatDuration(a.remainingMs)} (${localTime(new Date(a.endsAt))}): ` +
          suggestCommand`log in again before then: atoauth login ${accountWord(a.handle)}`,
      )
    } else if (a.reason) {
      ctx.out.warn(
        `the session of ${a.handle} has ended: ${a.reason}. ` +
          suggestCommand`Log in again: atoauth login ${accountWord(a.handle)}`,
      )
    }
  }

  // The account a command would act for decides the exit code: a script can
  // run `atoauth status || atoauth login …`.
  const wanted = ctx.settings.account
  const { isAccount } = await import('../store/account-index.js')
  const inUse = accounts.find((a) => (wanted ? isAccount(a, wanted) : a.default))
  const usable = inUse !== undefined && !inUse.reason
  const width = Math.max(0, ...accounts.map((a) => a.handle.length))
  return {
    data: {
      ok: usable,
      accounts: accounts.map(({ remainingMs, ageMs, ...a }) => ({
        ...a,
        sessionAgeSeconds: Math.floor(ageMs / 1000),
        remainingSeconds: Math.floor(remainingMs / 1000),
      })),
    },
    text: accounts.map(
      (a) =>
        `${a.default ? '*' : ' '} ${a.handle.padEnd(width)}  ${summary(a)}  scope: ${a.preset ?? 'custom'}`,
    ),
    ...(usable ? {} : { exitCode: ExitCode.authRequired }),
  }
}

function summary(a: SessionLife): string {
  if (a.reason) return `needs login  ${a.reason}`
  const label = a.state === 'active' ? 'active     ' : 'ending soon'
  const ends = `ends in ${formatDuration(a.remainingMs)} (${localTime(new Date(a.endsAt))})`
  return `${label}  logged in ${formatDuration(a.ageMs)} ago, ${ends}`
}
