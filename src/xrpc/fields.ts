// The key=value arguments of `atoauth api`, in the spirit of HTTPie:
//   key=value    a string
//   key:=json    a JSON value (number, boolean, array, object, null)
// A key given more than once collects its values into an array. Queries turn
// them into URL parameters, procedures into a JSON object body.
import { UsageError } from '../errors.js'

export type Field = { key: string; value: unknown }

export function parseFields(args: readonly string[]): Field[] {
  return args.map((arg) => {
    const match = /^([^=:]+)(:?=)(.*)$/s.exec(arg)
    if (!match) {
      throw new UsageError(
        `"${arg}" is not a key=value parameter.`,
        'Write key=value for a string, key:=json for a number, boolean, array or object.',
      )
    }
    const [, key = '', operator, raw = ''] = match
    if (operator === '=') return { key, value: raw }
    try {
      return { key, value: JSON.parse(raw) }
    } catch {
      throw new UsageError(
        `The value of ${key}:= is not JSON: ${raw}`,
        'Use key=value for a plain string.',
      )
    }
  })
}

export function fieldsToQuery(fields: readonly Field[]): URLSearchParams {
  const query = new URLSearchParams()
  for (const { key, value } of fields) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === null || typeof item === 'object') {
        throw new UsageError(`The query parameter ${key} cannot be an object or null.`)
      }
      query.append(key, String(item))
    }
  }
  return query
}

export function fieldsToBody(fields: readonly Field[]): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  for (const { key, value } of fields) {
    const previous = body[key]
    if (!Object.hasOwn(body, key)) body[key] = value
    else body[key] = Array.isArray(previous) ? [...previous, value] : [previous, value]
  }
  return body
}
