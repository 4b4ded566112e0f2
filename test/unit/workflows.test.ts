// GitHub workflow files cannot run here, so they are checked as far as they can be: each parses
// and passes @action-validator/core (SchemaStore's schema for workflows), and the jobs run what
// issue #16 asks of them, with scripts that exist.
import { existsSync, readFileSync } from 'node:fs'
import { type ValidationError, validateWorkflow } from '@action-validator/core'
import { describe, expect, it, vi } from 'vitest'
import { parse, stringify } from 'yaml'

const ROOT = new URL('../../', import.meta.url)
const WORKFLOWS = ['ci.yml', 'pages.yml']

const source = (name: string) => readFileSync(new URL(`.github/workflows/${name}`, ROOT), 'utf8')

type Step = { uses?: string; run?: string; with?: Record<string, unknown> }
type Job = { 'runs-on': string; steps: Step[]; strategy?: { matrix: { os: string[] } } }
type Workflow = { on: Record<string, unknown>; jobs: Record<string, Job> } & Record<string, unknown>

const workflow = (name: string) => parse(source(name)) as Workflow

/** The schema errors; the validator's warning that it cannot check globs stays off the output. */
function schemaErrors(text: string): ValidationError[] {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
  try {
    return validateWorkflow(text).errors
  } finally {
    warn.mockRestore()
  }
}

const commands = (job: Job) => job.steps.flatMap((step) => step.run ?? [])

describe('GitHub workflows', () => {
  it.each(WORKFLOWS)('%s parses and passes the workflow schema', (name) => {
    expect(workflow(name).jobs).toBeTypeOf('object')
    expect(schemaErrors(source(name))).toEqual([])
  })

  it('the validator does refuse a broken workflow (so the check above means something)', () => {
    const broken = (change: (doc: Workflow) => void) => {
      const doc = workflow('ci.yml')
      change(doc)
      return stringify(doc)
    }
    const cases = [
      `${source('ci.yml')}\n  - : ][\n`,
      broken((doc) => {
        doc.jobs.linux!.steps.push({ with: { path: 'x' } })
      }),
      broken((doc) => {
        doc.on = { pushed: null }
      }),
      broken((doc) => {
        doc.permissions = { contents: 'maybe' }
      }),
    ]
    for (const text of cases) expect(schemaErrors(text)).not.toEqual([])
  })

  it('ci.yml runs every test on Linux, and the unit tests and a keychain round trip on macOS and Windows', () => {
    const { on, jobs } = workflow('ci.yml')
    expect(Object.keys(on)).toEqual(['push', 'pull_request'])
    expect(jobs.linux!['runs-on']).toBe('ubuntu-latest')
    expect(commands(jobs.linux!)).toContain('bash scripts/test.sh')
    expect(jobs.keychain!.strategy!.matrix.os).toEqual(['macos-latest', 'windows-latest'])
    expect(jobs.keychain).toMatchObject({ defaults: { run: { shell: 'bash' } } })
    expect(commands(jobs.keychain!)).toEqual(
      expect.arrayContaining(['npx vitest run --project unit', 'node scripts/keychain-smoke.ts']),
    )
  })

  it.each(WORKFLOWS)('every script %s runs exists', (name) => {
    const jobs = Object.values(workflow(name).jobs)
    const scripts = jobs.flatMap(commands).flatMap((run) => run.match(/\bscripts\/[\w./-]+/g) ?? [])
    for (const script of scripts) expect(existsSync(new URL(script, ROOT)), script).toBe(true)
  })
})
