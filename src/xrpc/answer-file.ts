// `atoauth api --output <file>`: where an answer's bytes go instead of stdout. The path is
// checked before the request (a procedure's answer is not lost to a typo in it), and the file is
// replaced whole: a failure, or a reader at the wrong moment, never sees half an answer.
import { stat, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { AtoauthError, describeCause, UsageError } from '../errors.js'
import { retryingTransientFailures } from '../store/atomic-write.js'

export class AnswerFile {
  readonly path: string

  private constructor(path: string) {
    this.path = path
  }

  /** The file at `output`, if it can be written: in an existing folder, and not a folder. */
  static async check(output: string): Promise<AnswerFile> {
    const path = resolve(output)
    const found = await stat(path).catch(() => undefined)
    if (found?.isDirectory()) throw new UsageError(`--output ${output} is a folder.`)
    if (!found) {
      const folder = await stat(dirname(path)).catch(() => undefined)
      if (!folder?.isDirectory()) {
        throw new UsageError(`--output ${output}: the folder ${dirname(path)} does not exist.`)
      }
    }
    return new AnswerFile(path)
  }

  /**
   * Renames a complete copy over the file (write-file-atomic keeps an existing file's mode). A
   * device or a pipe (/dev/null, a FIFO) is written to instead: it cannot be replaced, nor should
   * it be (as root, a rename would put a plain file in place of /dev/null).
   */
  async save(bytes: Uint8Array): Promise<void> {
    try {
      const found = await stat(this.path).catch(() => undefined)
      if (found && !found.isFile()) return await writeFile(this.path, bytes)
      const { default: writeFileAtomic } = await import('write-file-atomic')
      await retryingTransientFailures(() => writeFileAtomic(this.path, Buffer.from(bytes)))
    } catch (err) {
      const message = `Could not write the answer to ${this.path}: ${describeCause(err)}`
      throw new AtoauthError('output_failed', message, { cause: err })
    }
  }
}
