import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { canonicalJson } from './canonical-json.ts'
import { type EventDraft, genesisHash, type LogEvent } from './events.ts'
import { chainEvent, eventHash, verifyChain } from './hash-chain.ts'
import { ids } from './testdata/fixture-regions.ts'
import { issuers } from './testdata/issuers.ts'
import { cmd, MemoryLog } from './testdata/memory-log.ts'

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')

/** The notice Kyiv's city administration posted on 3 September 2025, as the first event of a log. */
const kyivNotice: EventDraft = {
  time: '2025-09-03T01:12:00.000Z',
  actor: 'kyiv-city-duty',
  payload: {
    type: 'notice.published',
    notice: {
      id: 'n-1',
      regions: ['UA80000000000093317'],
      text: { uk: 'Працює ППО!', en: 'Air defence is operating in Kyiv!' },
      status: 'Actual',
      issuerId: 'kyiv-city-duty',
      publishedAt: '2025-09-03T01:12:00.000Z',
    },
  },
}

// Written out by hand from the rule in hash-chain.ts (keys sorted at every depth, no whitespace), not produced by
// canonicalJson: if the encoding drifts, every stored chain would stop verifying, and this test says so.
const kyivNoticeCanonical =
  '{"actor":"kyiv-city-duty","payload":{"notice":{"id":"n-1","issuerId":"kyiv-city-duty",' +
  '"publishedAt":"2025-09-03T01:12:00.000Z","regions":["UA80000000000093317"],"status":"Actual",' +
  '"text":{"en":"Air defence is operating in Kyiv!","uk":"Працює ППО!"}},"type":"notice.published"},' +
  '"prevHash":"0000000000000000000000000000000000000000000000000000000000000000","seq":1,' +
  '"time":"2025-09-03T01:12:00.000Z"}'

test('canonicalJson sorts object keys at every depth', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [{ z: 1, y: [{ q: 2, p: 1 }] }], c: null } }),
    '{"a":{"c":null,"d":[{"y":[{"p":1,"q":2}],"z":1}]},"b":1}',
  )
})

test('canonicalJson gives the same text whatever order the keys were written in', () => {
  assert.equal(canonicalJson({ x: 1, y: { b: 2, a: 3 } }), canonicalJson({ y: { a: 3, b: 2 }, x: 1 }))
})

test('canonicalJson drops undefined members and writes undefined array items as null, as JSON does', () => {
  assert.equal(canonicalJson({ a: undefined, b: { c: undefined, d: 1 } }), '{"b":{"d":1}}')
  assert.equal(canonicalJson([1, undefined, 'x']), '[1,null,"x"]')
  assert.equal(canonicalJson({ a: undefined }), canonicalJson({}))
})

test('canonicalJson orders keys by UTF-16 code units, as RFC 8785 requires', () => {
  // By code point U+FFFF sorts before U+1F600; by UTF-16 code units the surrogate 0xD83D comes first.
  assert.equal(
    canonicalJson({ '\uffff': 1, '😀': 2, é: 3, a: 4, _: 5, B: 6 }),
    '{"B":6,"_":5,"a":4,"é":3,"😀":2,"\uffff":1}',
  )
})

test('canonicalJson prints scalars and escapes strings as JSON.stringify does', () => {
  assert.equal(canonicalJson('a "quoted"\nline'), '"a \\"quoted\\"\\nline"')
  assert.equal(canonicalJson(42), '42')
  assert.equal(canonicalJson(true), 'true')
  assert.equal(canonicalJson(null), 'null')
  assert.equal(canonicalJson({ s: 'Працює ППО!' }), '{"s":"Працює ППО!"}')
})

test('the hash of a known event is SHA-256 of its hand-written canonical form', () => {
  const expected = sha256(kyivNoticeCanonical)
  assert.equal(expected, 'e6c1eb66137a91eea5d9ca2f807300d8d95d37cd7f06b9af70679e8a00bc5550')
  assert.equal(eventHash(1, genesisHash, kyivNotice), expected)
  const e = chainEvent(1, genesisHash, kyivNotice)
  assert.deepEqual(e, { seq: 1, prevHash: genesisHash, ...kyivNotice, hash: expected })
})

test('the hash covers the sequence number and the previous hash', () => {
  const h = eventHash(1, genesisHash, kyivNotice)
  assert.notEqual(eventHash(2, genesisHash, kyivNotice), h)
  assert.notEqual(eventHash(1, 'f'.repeat(64), kyivNotice), h)
})

test('an undefined member does not change the hash, so an event read back from JSON still verifies', () => {
  const draft: EventDraft = {
    time: '2025-09-03T01:20:00.000Z',
    actor: 'kyiv-city-duty',
    payload: { type: 'alert.updated', alertId: 'a1', message: { uk: 'Загроза!', en: 'Threat!' } },
  }
  const withUndefined: EventDraft = {
    ...draft,
    payload: { ...draft.payload, regions: undefined } as EventDraft['payload'],
  }
  assert.equal(eventHash(2, 'a'.repeat(64), withUndefined), eventHash(2, 'a'.repeat(64), draft))
})

/** A real five-event log built through the core. */
function fiveEvents(): LogEvent[] {
  const log = new MemoryLog()
  log.accept(issuers.kyivCityOperator, cmd.issue('a1', [ids.kyivCity]))
  log.accept(issuers.kyivCityOperator, cmd.notice('n1', [ids.kyivCity], 'Air defence is operating in Kyiv!'))
  log.accept(issuers.kyivOblastOperator, cmd.issue('a2', [ids.boryspilRaion]))
  log.accept(issuers.kyivOblastOperator, cmd.update('a2', { regions: [ids.boryspil] }))
  log.accept(issuers.kyivCityOperator, cmd.end('a1'))
  return log.events
}

const copy = (events: LogEvent[]): LogEvent[] => JSON.parse(JSON.stringify(events))

test('verifyChain accepts an intact log, also after a round trip through JSON', () => {
  const events = fiveEvents()
  const last = events[4]
  assert.ok(last)
  assert.deepEqual(verifyChain(events, 0, genesisHash), { ok: true, lastSeq: 5, lastHash: last.hash })
  assert.deepEqual(verifyChain(copy(events), 0, genesisHash), { ok: true, lastSeq: 5, lastHash: last.hash })
})

test('verifyChain continues from a known point and accepts an empty run', () => {
  const events = fiveEvents()
  const second = events[1]
  assert.ok(second)
  assert.equal(verifyChain(events.slice(2), 2, second.hash).ok, true)
  assert.deepEqual(verifyChain([], 2, second.hash), { ok: true, lastSeq: 2, lastHash: second.hash })
})

test('verifyChain reports a changed payload at the event that was changed', () => {
  const events = copy(fiveEvents())
  const third = events[2]
  assert.ok(third?.payload.type === 'alert.started')
  third.payload.alert.regions = [ids.kyivOblast]
  const check = verifyChain(events, 0, genesisHash)
  assert.equal(check.ok, false)
  assert.equal(!check.ok && check.seq, 3)
  assert.match(!check.ok ? check.reason : '', /hash does not match/)
})

test('verifyChain reports a changed actor or time', () => {
  for (const tamper of [
    (e: LogEvent) => (e.actor = 'someone-else'),
    (e: LogEvent) => (e.time = '2025-09-03T00:00:00.000Z'),
  ]) {
    const events = copy(fiveEvents())
    const fourth = events[3]
    assert.ok(fourth)
    tamper(fourth)
    assert.deepEqual(verifyChain(events, 0, genesisHash), {
      ok: false,
      seq: 4,
      reason: 'hash does not match the event content',
    })
  }
})

test('verifyChain reports a gap at the first event after it', () => {
  const events = fiveEvents()
  const check = verifyChain([...events.slice(0, 2), ...events.slice(3)], 0, genesisHash)
  assert.deepEqual(check, { ok: false, seq: 4, reason: 'gap: expected seq 3, found 4' })
})

test('verifyChain reports a wrong prev_hash even when the event’s own hash was recomputed to match', () => {
  const events = copy(fiveEvents())
  const third = events[2]
  assert.ok(third)
  // A forger who rewrites one event and rehashes it still cannot make it point at the real predecessor.
  events[2] = chainEvent(3, 'b'.repeat(64), third)
  assert.deepEqual(verifyChain(events, 0, genesisHash), {
    ok: false,
    seq: 3,
    reason: 'prev_hash does not match the previous event',
  })
})

test('verifyChain reports the first broken link when several are broken', () => {
  const events = copy(fiveEvents())
  const [, second, , fourth] = events
  assert.ok(second && fourth)
  second.hash = 'c'.repeat(64)
  fourth.actor = 'someone-else'
  const check = verifyChain(events, 0, genesisHash)
  assert.equal(!check.ok && check.seq, 2)
})

test('verifyChain refuses a run that does not start where the caller left off', () => {
  const events = fiveEvents()
  assert.deepEqual(verifyChain(events.slice(1), 0, genesisHash), {
    ok: false,
    seq: 2,
    reason: 'gap: expected seq 1, found 2',
  })
})
