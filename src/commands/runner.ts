import type { Command } from 'commander'
import type { Context } from '../context.js'
import type { CommandResult } from '../output.js'

/**
 * Runs a command's logic with a context built from the global flags, renders
 * its result or error, and sets the exit code. Provided by cli.ts.
 */
export type Runner = (
  command: Command,
  fn: (ctx: Context) => Promise<CommandResult>,
) => Promise<void>
