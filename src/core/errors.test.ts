import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { type ErrorCode, errorCatalogue, isSirenaError, retiredErrorCodes, SirenaError } from './errors.ts'

const codes = Object.keys(errorCatalogue) as ErrorCode[]

/** The rows of the table in docs/errors.md, keyed by code: `| \`code\` | status | meaning | what to do |`. */
function documentedRows(): Map<string, { status: number; meaning: string; action: string }> {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
  const rows = new Map<string, { status: number; meaning: string; action: string }>()
  for (const line of doc.split('\n')) {
    const m = /^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|([^|]+)\|([^|]+)\|\s*$/.exec(line)
    if (!m) continue
    const [, code = '', status = '', meaning = '', action = ''] = m
    assert.ok(!rows.has(code), `${code} is documented twice`)
    rows.set(code, { status: Number(status), meaning: meaning.trim(), action: action.trim() })
  }
  return rows
}

test('every code in the catalogue is documented in docs/errors.md with its status, meaning and what to do', () => {
  const rows = documentedRows()
  for (const code of codes) {
    const row = rows.get(code)
    assert.ok(row, `${code} is missing from docs/errors.md`)
    assert.equal(row.status, errorCatalogue[code].status, `${code}: documented status`)
    assert.ok(row.meaning.length > 10, `${code}: meaning`)
    assert.ok(row.action.length > 5, `${code}: what to do`)
  }
})

test('docs/errors.md documents no code the catalogue does not have', () => {
  const extra = [...documentedRows().keys()].filter((code) => !(code in errorCatalogue))
  assert.deepEqual(extra, [])
})

test('every code has an error status, or 202 for an action waiting for confirmation', () => {
  for (const code of codes) {
    const { status } = errorCatalogue[code]
    assert.ok(
      (status >= 400 && status <= 599) || (code === 'confirmation_required' && status === 202),
      `${code}: ${status}`,
    )
  }
})

test('every code is a lower-case snake_case word with a message of its own', () => {
  for (const code of codes) {
    assert.match(code, /^[a-z]+(_[a-z]+)*$/)
    assert.ok(errorCatalogue[code].message.length > 0)
  }
})

test('a retired code is never reused', () => {
  for (const code of retiredErrorCodes) assert.ok(!(code in errorCatalogue), code)
})

test('an error carries its code and the status from the catalogue', () => {
  const e = new SirenaError('forbidden_region')
  assert.ok(e instanceof Error)
  assert.ok(isSirenaError(e))
  assert.equal(e.name, 'SirenaError')
  assert.equal(e.code, 'forbidden_region')
  assert.equal(e.status, 403)
  assert.equal(e.message, errorCatalogue.forbidden_region.message)
  assert.equal(isSirenaError(new Error('x')), false)
})

test('a message given at the throw site refines the catalogue text, the code stays', () => {
  const e = new SirenaError('unknown_region', 'unknown region UA63000000000041885')
  assert.equal(e.message, 'unknown region UA63000000000041885')
  assert.equal(e.code, 'unknown_region')
  assert.equal(e.status, 404)
})

test('toJSON gives the code and message, and details only when there are some', () => {
  assert.deepEqual(new SirenaError('not_found', 'no alert a1').toJSON(), { code: 'not_found', message: 'no alert a1' })
  assert.equal(JSON.stringify(new SirenaError('rate_limited')), '{"code":"rate_limited","message":"too many requests"}')
  const withDetails = new SirenaError('forbidden_region', 'outside', { regions: ['UA46060250000025047'] })
  assert.deepEqual(withDetails.toJSON(), {
    code: 'forbidden_region',
    message: 'outside',
    details: { regions: ['UA46060250000025047'] },
  })
  // No stack, no name: nothing internal reaches the wire.
  assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(withDetails))).sort(), ['code', 'details', 'message'])
})
