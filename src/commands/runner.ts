import type { Command } from 'commander'
import type { Context } from '../context.js'
import type { CommandResult } from '../output.js'

/** From cli.ts: runs a command with a Context, renders its result or error, sets the exit code. */
export type Runner = (
  command: Command,
  fn: (ctx: Context) => Promise<CommandResult>,
) => Promise<void>
