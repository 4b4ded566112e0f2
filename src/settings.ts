// Flags and environment folded into one Settings object, so that commands never
// read process.env themselves and tests can hand them any configuration.
import { resolve } from 'node:path'
import envPaths from 'env-paths'
import { DEFAULT_CLIENT_ID } from './auth/client-id.js'
import { UsageError } from './errors.js'

export type StoreKind = 'keychain' | 'file'

/** A session handed over from outside (a CI secret): the blob itself, or a file holding it. */
export type ExportedSessionSource =
  | { kind: 'session-env'; variable: 'ATOAUTH_SESSION'; text: string }
  | { kind: 'session-file'; path: string }

export type Settings = {
  /** Where the account index, the lock files and (opt-in) the plaintext store live. */
  configDir: string
  /** Where server metadata and DPoP nonces are cached between runs (nothing secret). */
  cacheDir: string
  json: boolean
  color: boolean
  /** Which secret store new sessions go to. */
  storeKind: StoreKind
  /** The hosted client metadata URL used by `login` unless --dev-client is given. */
  clientId: string
  /** The account a command acts for (handle or DID); undefined → the default account. */
  account: string | undefined
  /** When set, every command uses this session and never the keychain or the account index. */
  exportedSession: ExportedSessionSource | undefined
  /** Browser command from ATOAUTH_BROWSER; --browser on login overrides it. */
  browserCommand: string | undefined
  // For local development and tests only (documented as such in the README).
  plcDirectoryUrl: string | undefined
  handleResolverUrl: string | undefined
  allowHttp: boolean
}

export type GlobalFlags = {
  json?: boolean
  insecureStorage?: boolean
  account?: string
  color?: boolean
}

type Env = Record<string, string | undefined>

export function resolveSettings(flags: GlobalFlags, env: Env = process.env): Settings {
  return {
    configDir: env.ATOAUTH_CONFIG_DIR || envPaths('atoauth', { suffix: '' }).config,
    cacheDir: env.ATOAUTH_CACHE_DIR || envPaths('atoauth', { suffix: '' }).cache,
    json: flags.json === true,
    color: flags.color !== false && env.NO_COLOR === undefined,
    storeKind: flags.insecureStorage ? 'file' : parseStoreKind(env.ATOAUTH_STORE),
    clientId: env.ATOAUTH_CLIENT_ID || DEFAULT_CLIENT_ID,
    account: flags.account || env.ATOAUTH_ACCOUNT || undefined,
    exportedSession: exportedSessionSource(env),
    browserCommand: env.ATOAUTH_BROWSER || undefined,
    plcDirectoryUrl: optionalUrl('ATOAUTH_PLC_URL', env.ATOAUTH_PLC_URL),
    handleResolverUrl: optionalUrl('ATOAUTH_HANDLE_RESOLVER', env.ATOAUTH_HANDLE_RESOLVER),
    allowHttp: env.ATOAUTH_ALLOW_HTTP === '1',
  }
}

function parseStoreKind(value: string | undefined): StoreKind {
  if (value === undefined || value === '' || value === 'keychain') return 'keychain'
  if (value === 'file') return 'file'
  throw new UsageError(
    `ATOAUTH_STORE must be "keychain" or "file", not "${value}".`,
    'Unset ATOAUTH_STORE to use the OS keychain.',
  )
}

function exportedSessionSource(env: Env): ExportedSessionSource | undefined {
  const text = env.ATOAUTH_SESSION
  const path = env.ATOAUTH_SESSION_FILE
  if (text && path) {
    throw new UsageError(
      'ATOAUTH_SESSION and ATOAUTH_SESSION_FILE are both set.',
      'Set only one: ATOAUTH_SESSION_FILE lets atoauth keep the session fresh.',
    )
  }
  if (text) return { kind: 'session-env', variable: 'ATOAUTH_SESSION', text }
  if (path) return { kind: 'session-file', path: resolve(path) }
  return undefined
}

function optionalUrl(name: string, value: string | undefined): string | undefined {
  if (!value) return undefined
  if (!URL.canParse(value)) throw new UsageError(`${name} is not a valid URL: "${value}".`)
  return value
}
