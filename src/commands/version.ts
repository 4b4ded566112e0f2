// atoauth version: the version, as --version prints it; with --json, {"version": "…"}.
import { Command } from 'commander'
import { VERSION } from '../version.js'
import { withExamples } from './help.js'
import type { Runner } from './runner.js'

export function versionCommand(run: Runner): Command {
  return withExamples(new Command('version').description('print the version of atoauth'), [
    'atoauth version',
    'atoauth version --json | jq -r .version',
  ]).action((_flags, command: Command) =>
    run(command, async () => ({ data: { version: VERSION }, text: [VERSION] })),
  )
}
