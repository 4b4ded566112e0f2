// Temporary: moved to errors/library-errors.ts. Remove once nothing imports it.
export { isSessionEnd, sessionEndReason } from '../errors/library-errors.js'
