// atoauth's version, and the User-Agent its requests carry, so that a server's
// log (or its rate limits) can tell atoauth from other clients. The bundler
// inlines package.json, so this holds wherever the code ends up.
import packageJson from '../package.json' with { type: 'json' }

export const VERSION: string = packageJson.version

export const USER_AGENT = `atoauth/${VERSION}`
