// Where a stripper writes what it keeps of an image: one growing buffer, never more than the
// upload limit. Keeping a view per kept range cost a JS object each (~100 bytes), so a file
// that is a flood of 2-byte markers or tiny chunks took gigabytes; copying the kept bytes into
// one buffer costs at most the limit, however the file is cut up, and the walk stops as soon as
// what it kept passes the limit: the rest could only make it larger.

/** What is kept would pass `limit` bytes: the image is too large even without its metadata. */
export class OutputTooLargeError extends Error {
  override readonly name = 'OutputTooLargeError'
  readonly limit: number
  constructor(limit: number) {
    super(`it is over ${limit} bytes without its metadata`)
    this.limit = limit
  }
}

export class StrippedOutput {
  private buffer: Buffer
  private written = 0
  private readonly limit: number

  /** `expected`: about how many bytes will be kept (the input's length), to allocate once. */
  constructor(expected: number, limit = Number.POSITIVE_INFINITY) {
    this.limit = limit
    // Slow: not a slice of Node's shared pool, so the result's ArrayBuffer holds only the image.
    this.buffer = Buffer.allocUnsafeSlow(Math.min(expected, limit))
  }

  /** Where the next byte goes: a position for patch(). */
  get length(): number {
    return this.written
  }

  /** Appends bytes (a view of the input, or bytes the stripper made). */
  push(bytes: Uint8Array): void {
    const end = this.written + bytes.length
    if (end > this.limit) throw new OutputTooLargeError(this.limit)
    if (end > this.buffer.length) this.grow(end)
    this.buffer.set(bytes, this.written)
    this.written = end
  }

  /** Overwrites bytes already pushed, at `at` (a size or flags known only later). */
  patch(at: number, bytes: Uint8Array): void {
    if (at < 0 || at + bytes.length > this.written) throw new RangeError('patch outside output')
    this.buffer.set(bytes, at)
  }

  /** The bytes kept: a view of the buffer, which is not written to again. */
  result(): Buffer {
    return this.buffer.subarray(0, this.written)
  }

  private grow(atLeast: number): void {
    const larger = Buffer.allocUnsafeSlow(
      Math.min(Math.max(atLeast, this.buffer.length * 2), this.limit),
    )
    larger.set(this.buffer.subarray(0, this.written))
    this.buffer = larger
  }
}
