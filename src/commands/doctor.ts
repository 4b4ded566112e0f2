// atoauth doctor: checks what a login and the later commands depend on, without
// using (or refreshing) any session, and says what to fix.
import { Command } from 'commander'
import { scopeOptionWords } from '../auth/scope-presets.js'
import type { Context } from '../context.js'
import type { Check } from '../doctor/check.js'
import { ExitCode } from '../errors.js'
import type { CommandResult } from '../output.js'
import { withExamples } from './help.js'
import type { Runner } from './runner.js'

const MARKS = { ok: '✓', warn: '!', fail: '✗' }

export function doctorCommand(run: Runner): Command {
  const doctor = new Command('doctor')
    .description(
      'check the keychain, the config dir, the client metadata, the clock and each account; ' +
        'exits 1 when a check fails',
    )
    .option('--client-id <url>', 'check this client_id (default: the configured one)')
    .option(
      '--scope <scopes>',
      'presets and scopes logins will ask for (comma or space separated): warn if undeclared',
    )
  return withExamples(doctor, [
    'atoauth doctor',
    'atoauth doctor --client-id https://alice.github.io/oauth-client-metadata.json --scope post,delete',
    `atoauth doctor --json | jq '.checks[] | select(.status != "ok")'`,
  ]).action((flags, command: Command) =>
    run(command, (ctx) => runDoctor(flags.clientId, scopeOptionWords(flags.scope ?? ''), ctx)),
  )
}

async function runDoctor(
  clientId: string | undefined,
  scopes: string[],
  ctx: Context,
): Promise<CommandResult> {
  const { runChecks } = await import('../doctor/run-checks.js')
  const checks = await runChecks(ctx, clientId ?? ctx.settings.clientId, scopes)
  const failed = checks.filter((c) => c.status === 'fail').length
  const warned = checks.filter((c) => c.status === 'warn').length
  return {
    data: { ok: failed === 0, checks },
    text: [...checklist(checks), '', summary(failed, warned)],
    // The report is the answer in both cases: a failed check is no error of doctor's.
    exitCode: failed > 0 ? ExitCode.error : ExitCode.ok,
  }
}

function checklist(checks: Check[]): string[] {
  const width = Math.max(...checks.map((c) => c.name.length))
  return checks.flatMap((c) => [
    `${MARKS[c.status]} ${c.name.padEnd(width)}  ${c.detail}`,
    ...(c.hint ? [`  ${' '.repeat(width)}  → ${c.hint}`] : []),
  ])
}

function summary(failed: number, warned: number): string {
  const warnings = `${warned} warning${warned === 1 ? '' : 's'}`
  if (failed > 0) return `${failed} check${failed === 1 ? '' : 's'} failed, ${warnings}.`
  return warned > 0 ? `No check failed; ${warnings}.` : 'Every check passed.'
}
