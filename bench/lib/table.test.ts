import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { formatNumber, formatTable } from './table.ts'

describe('bench tables', () => {
  test('tables are Markdown with numbers right-aligned and at most three significant digits', () => {
    const text = formatTable(
      ['what', 'ms'],
      [
        ['issue', 1.234],
        ['mass', 1234.5],
      ],
    )
    assert.equal(text, ['| what  |    ms |', '|-------|------:|', '| issue |  1.23 |', '| mass  | 1,235 |'].join('\n'))
    assert.equal(formatNumber(12.345), '12.3')
    assert.equal(formatNumber(7), '7')
  })
})
