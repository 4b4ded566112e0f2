// atoauth client-metadata: the document to publish at a client_id URL.
import { Command } from 'commander'
import { HOSTED_SCOPE } from '../auth/client-id.js'
import type { Context } from '../context.js'
import { AtoauthError } from '../errors.js'
import type { CommandResult } from '../output.js'
import { withExamples } from './help.js'
import type { Runner } from './runner.js'

export function clientMetadataCommand(run: Runner): Command {
  const clientMetadata = new Command('client-metadata')
    .description('print the client metadata document to host at a client_id URL, validated')
    .option(
      '--client-id <url>',
      'where the document will be published (default: the configured client_id)',
    )
    .option(
      '--scope <scopes>',
      'every scope logins may ask for (default: every preset scope, plus transition:chat.bsky and transition:email)',
    )
  return withExamples(clientMetadata, [
    'atoauth client-metadata --client-id https://alice.github.io/oauth-client-metadata.json > oauth-client-metadata.json',
    'atoauth client-metadata --client-id https://alice.github.io/oauth-client-metadata.json --scope "atproto transition:generic"',
  ]).action((flags, command: Command) =>
    run(command, (ctx) =>
      runClientMetadata({ clientId: flags.clientId, scope: flags.scope ?? HOSTED_SCOPE }, ctx),
    ),
  )
}

export async function runClientMetadata(
  options: { clientId: string | undefined; scope: string },
  ctx: Context,
): Promise<CommandResult> {
  const { hostedClientMetadata, validateHostedClientMetadata } = await import(
    '../auth/client-metadata.js'
  )
  const clientId = options.clientId ?? ctx.settings.clientId
  const document = hostedClientMetadata(clientId, options.scope)
  const problems = validateHostedClientMetadata(clientId, document)
  if (problems.length > 0) {
    const message = `The document is not valid: ${problems.join('; ')}`
    throw new AtoauthError('invalid_client_metadata', message)
  }
  // The document itself is the data, in both modes: it is meant to be saved as is.
  return { data: document, text: [JSON.stringify(document, null, 2)] }
}
