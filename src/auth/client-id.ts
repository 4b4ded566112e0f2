// The defaults that tie atoauth to its hosted client metadata document. They
// live in this one small module so that every command (and the settings) can
// read them without loading the OAuth libraries.
import { presetScopes } from './scope-presets.js'

/**
 * The published client metadata document (see client-metadata/README.md).
 * Overridable with --client-id or ATOAUTH_CLIENT_ID for self-hosted builds.
 */
export const DEFAULT_CLIENT_ID = 'https://atoauth.github.io/oauth-client-metadata.json'

/** What `login` asks for unless --scope says otherwise. */
export const DEFAULT_SCOPE = 'atproto transition:generic'

/**
 * Every scope the hosted document declares: the authorization server refuses a
 * request for any scope the client's document does not list, comparing the strings
 * exactly. So: every scope of every preset, and the two transition scopes no preset
 * asks for, which stay declared for a raw `--scope`.
 */
export const HOSTED_SCOPE = [...presetScopes(), 'transition:chat.bsky', 'transition:email'].join(
  ' ',
)

/**
 * The redirect URI the hosted document registers. The authorization server
 * accepts any port on a port-less loopback redirect URI (RFC 8252 §7.3).
 */
export const HOSTED_REDIRECT_URI = 'http://127.0.0.1/callback'

export const CALLBACK_PATH = '/callback'

/** Loopback (development) client ids need no hosted document. */
export function isLoopbackClientId(clientId: string): boolean {
  return clientId === 'http://localhost' || clientId.startsWith('http://localhost?')
}
