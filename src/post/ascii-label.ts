// The ASCII labels image containers name their parts with: PNG chunk types, RIFF fourCCs, the
// identifiers at the start of a JPEG APPn segment or a GIF application extension.

/** The text of `bytes[start, end)`, one character a byte. */
export function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end))
}

/** Whether `bytes` (from `at`) start with `label`, byte for byte. */
export function startsWithAscii(bytes: Uint8Array, label: string, at = 0): boolean {
  if (at + label.length > bytes.length) return false
  for (let i = 0; i < label.length; i++) {
    if (bytes[at + i] !== label.charCodeAt(i)) return false
  }
  return true
}
