// Which Node.js atoauth runs on, checked by the launcher before it loads
// anything else, so that an older Node says what to do instead of failing
// somewhere inside the bundle. Plain syntax that old Node versions can parse.

/** package.json's engines.node (a unit test keeps the two, and the table below, the same). */
export const SUPPORTED_NODE = '^22.22.2 || ^24.15.0 || >=26.0.0'

// The lowest supported release of each line; the last line's lowest also
// covers every later line.
const LOWEST = [
  [22, 22, 2],
  [24, 15, 0],
  [26, 0, 0],
]

export function isSupportedNode(version) {
  const [major, minor, patch] = version.split('.').map(Number)
  const atLeast = ([, m, p]) => minor > m || (minor === m && patch >= p)
  const line = LOWEST.find(([m]) => m === major)
  return line ? atLeast(line) : major > LOWEST[LOWEST.length - 1][0]
}

/**
 * What an older Node prints: what is needed and two ways to get it, as text
 * on stderr, or with --json as the one error document on stdout.
 */
export function unsupportedNodeReport(version, script, args) {
  // Quoted the one way every shell reads alike (JSON would double Windows' backslashes).
  const quoted = [script, ...args].map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `"${arg}"`))
  const message = `atoauth needs Node.js ${SUPPORTED_NODE}; this is Node.js ${version}.`
  const hint = [
    'Install Node.js 24 (LTS) from https://nodejs.org or with a version manager',
    '(nvm install 24, fnm install 24, volta install node@24), or run atoauth with a Node',
    'fetched from npm this once:',
    `  npx -y node@24 ${quoted.join(' ')}`,
  ].join('\n')
  if (!args.includes('--json')) return { stderr: `${message}\n${hint}\n` }
  const error = { code: 'node_unsupported', message, hint, required: SUPPORTED_NODE, version }
  return { stdout: `${JSON.stringify({ error }, null, 2)}\n` }
}
