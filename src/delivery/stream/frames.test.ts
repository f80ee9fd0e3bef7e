import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FrameBatch, httpChunk } from './frames.ts'

const frame = (seq: number, data: string) => ({
  sse: Buffer.from(`id: ${seq}\nevent: test\ndata: ${data}\n\n`),
  json: data,
})

test('a batch is its frames back to back, in order, as SSE and as one HTTP chunk', () => {
  const batch = new FrameBatch([frame(1, '{"a":"ї"}'), frame(2, '{"b":2}')])
  const body = 'id: 1\nevent: test\ndata: {"a":"ї"}\n\nid: 2\nevent: test\ndata: {"b":2}\n\n'
  assert.equal(batch.sse.toString('utf8'), body)
  const size = Buffer.byteLength(body)
  assert.equal(batch.sseChunk.toString('utf8'), `${size.toString(16)}\r\n${body}\r\n`)
})

test('a batch encodes once, however many subscribers it is written to', () => {
  const batch = new FrameBatch([frame(1, '{}'), frame(2, '{}')])
  assert.equal(batch.sse, batch.sse)
  assert.equal(batch.sseChunk, batch.sseChunk)
  const one = frame(3, '{}')
  assert.equal(FrameBatch.of(one).sse, one.sse, 'a single frame is written as it is, without a copy')
})

test('an HTTP chunk gives its size in hex bytes, not characters', () => {
  const data = Buffer.from('ї'.repeat(10))
  assert.equal(httpChunk(data).subarray(0, 4).toString('latin1'), '14\r\n')
})
