// How `atoauth api` turns its arguments into an XRPC request, and which
// methods it knows: the committed table must match @atproto/api's lexicons.
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { generateLexiconMethods, LEXICON_METHODS_PATH } from '../../scripts/lexicon-methods.ts'
import { fieldsToBody, fieldsToQuery, parseFields } from '../../src/xrpc/fields.ts'
import { knownMethod } from '../../src/xrpc/lexicon-methods.ts'

describe('key=value fields', () => {
  it('key=value is a string, key:=json a JSON value', () => {
    expect(
      parseFields(['repo=at://did:plc:x', 'limit:=5', 'reverse:=true', 'text=a=b', 'tags:=["x"]']),
    ).toEqual([
      { key: 'repo', value: 'at://did:plc:x' },
      { key: 'limit', value: 5 },
      { key: 'reverse', value: true },
      { key: 'text', value: 'a=b' },
      { key: 'tags', value: ['x'] },
    ])
  })

  it('an empty value is an empty string', () => {
    expect(parseFields(['cursor='])).toEqual([{ key: 'cursor', value: '' }])
  })

  it.each([['limit'], ['=value'], [':=5']])('refuses %j', (arg) => {
    expect(() => parseFields([arg])).toThrow(/is not a key=value parameter/)
  })

  it('refuses key:= with a value that is not JSON', () => {
    expect(() => parseFields(['limit:=five'])).toThrow('The value of limit:= is not JSON: five')
  })

  it('query parameters repeat for arrays and repeated keys', () => {
    const query = fieldsToQuery(parseFields(['uris=a', 'uris=b', 'ids:=[1,2]', 'limit:=5']))
    expect(query.toString()).toBe('uris=a&uris=b&ids=1&ids=2&limit=5')
  })

  it('a query parameter cannot be an object', () => {
    expect(() => fieldsToQuery(parseFields(['filter:={"a":1}']))).toThrow(/cannot be an object/)
  })

  it('a procedure body collects repeated keys into an array', () => {
    expect(fieldsToBody(parseFields(['repo=alice.test', 'tag=a', 'tag=b', 'n:=1']))).toEqual({
      repo: 'alice.test',
      tag: ['a', 'b'],
      n: 1,
    })
  })
})

describe('the known XRPC methods', () => {
  it('the committed table is what @atproto/api ships (node scripts/lexicon-methods.ts)', async () => {
    // A Windows checkout may have turned the committed file's LF into CRLF (core.autocrlf).
    const committed = (await readFile(LEXICON_METHODS_PATH, 'utf8')).replaceAll('\r\n', '\n')
    expect(committed).toBe(await generateLexiconMethods())
  })

  it('knows queries, procedures and non-JSON inputs', () => {
    expect(knownMethod('com.atproto.repo.listRecords')).toEqual({ type: 'query' })
    expect(knownMethod('com.atproto.repo.createRecord')).toEqual({ type: 'procedure' })
    expect(knownMethod('com.atproto.repo.uploadBlob')).toEqual({ type: 'procedure', input: '*/*' })
    expect(knownMethod('com.example.unknown')).toBeUndefined()
    expect(knownMethod('constructor')).toBeUndefined()
  })
})
