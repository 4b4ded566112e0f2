// What a session's scopes allow, and the one error for what they do not (`scope_missing`):
// known locally before any request where the command's needs are known (post, delete), and
// read from the PDS's 403 otherwise. A missing scope fails that command only: the session stays.
import { accountWord, suggestCommand, wordOr } from '../errors/suggested-command.js'
import { AtoauthError, ExitCode, UsageError } from '../errors.js'
import {
  expandPresets,
  isPresetName,
  presetGranting,
  presetsOf,
  SCOPE_PRESETS,
  scopeOptionWords,
  scopeTokens,
} from './scope-presets.js'

export type ScopeNeed =
  | { repo: { collection: string; action: 'create' | 'update' | 'delete' } }
  | { blob: string }

/** The session as scope_missing names it. */
export type ScopedAccount = { handle: string; scope: string }

/** Fails with scope_missing unless the granted scope allows every need. */
export async function assertScopes(account: ScopedAccount, needs: ScopeNeed[]): Promise<void> {
  const granted = scopeTokens(account.scope)
  // The scope nearly every session has: no library to load for it (it allows any repo or blob).
  if (granted.includes('transition:generic')) return
  const { BlobPermission, RepoPermission, ScopePermissionsTransition } = await import(
    '@atproto/oauth-scopes'
  )
  const permissions = new ScopePermissionsTransition(granted)
  for (const need of needs) {
    if ('repo' in need) {
      if (permissions.allowsRepo(need.repo)) continue
      throw scopeMissingError(RepoPermission.scopeNeededFor(need.repo), account)
    }
    if (permissions.allowsBlob({ mime: need.blob })) continue
    throw scopeMissingError(BlobPermission.scopeNeededFor({ mime: need.blob }), account)
  }
}

/** The scope a PDS's 403 names (`Missing required scope "…"`), if that is what it is. */
export function missingScopeOf(body: unknown): string | undefined {
  const { error, message } = (body ?? {}) as { error?: unknown; message?: unknown }
  if (error !== 'ScopeMissingError' || typeof message !== 'string') return undefined
  return /^Missing required scope "(.+)"$/.exec(message)?.[1]
}

export function scopeMissingError(missing: string, account: ScopedAccount): AtoauthError {
  const presets = presetsOf(account.scope)
  const has = presets ? `the preset ${presets.join(',')}` : `the scopes ${account.scope}`
  const wanted = presetGranting(missing) ?? missing
  const keep = presets?.filter((name) => name !== 'full') ?? []
  const listed = [...new Set([...keep, wanted])].join(',')
  // From a 403, `missing` is the server's: a line made to be pasted shows it only if it is scope-like.
  const scope = wordOr('<scope>', listed, wanted !== missing || looksLikeScope(missing))
  const handle = accountWord(account.handle)
  return new AtoauthError(
    'scope_missing',
    `The session of ${account.handle} may not do this: it lacks the scope "${missing}" (it has ${has}).`,
    {
      hint: suggestCommand`Log in with a session that may: atoauth login ${handle} --scope ${scope} (for CI: atoauth session create ${handle} --scope ${scope} --out …)`,
      exitCode: ExitCode.error,
      details: { scope: missing },
    },
  )
}

/**
 * Whether a scope a server named has the look of an atproto scope (`repo:app.bsky.feed.post?
 * action=create`, `rpc:…?aud=did:web:…%23…`, `blob:image/*`): no quote, space, shell syntax, or
 * comma (--scope's separator). Not the scope library's full check: that is 160 kB, which post
 * must not load for a transition:generic session, and scopeMissingError answers synchronously;
 * a pasted login still runs the library's check (requestedScope) before anything else.
 */
function looksLikeScope(scope: string): boolean {
  return scope.length <= 1024 && /^[a-z]+(:[\w.*%:/+#-]+)?(\?[\w.*%:/+#=&-]+)?$/.test(scope)
}

/**
 * What `--scope` asks for: preset names and atproto scopes, comma- or space-separated, mixed
 * as you like; `atproto` is always added. A scope the library cannot read is a usage error,
 * before any request.
 */
export async function requestedScope(option: string): Promise<string> {
  const words = scopeOptionWords(option)
  const raw = words.filter((word) => !isPresetName(word))
  if (raw.length > 0) {
    const { isAtprotoOauthScope } = await import('@atproto/oauth-scopes')
    const unreadable = raw.find((token) => !isAtprotoOauthScope(token))
    if (unreadable !== undefined) {
      throw new UsageError(
        `--scope "${unreadable}" is neither a preset nor an atproto scope.`,
        `Presets: ${Object.keys(SCOPE_PRESETS).join(', ')}. Scopes look like repo:app.bsky.feed.post?action=create, blob:image/*, rpc:<nsid>?aud=<did#service>.`,
      )
    }
  }
  const presets = expandPresets(words.filter(isPresetName))
  return [...new Set(['atproto', ...presets, ...raw])].join(' ')
}
