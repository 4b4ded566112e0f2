/** JSON.parse, but undefined for text that is not JSON: its error quotes the text, maybe a secret. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
