import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import WebSocket from 'ws'
import type { EventDraft } from '../src/core/events.ts'
import { endDraft, startDraft } from '../src/history/drafts.ts'
import { SqliteEventStore } from '../src/store/sqlite-store.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'

/**
 * Replay floods on the public stream: many anonymous clients resuming from the log at once must not hold up a command,
 * and each must still get exactly the events it missed, in order, with imported history left out.
 */

const logSize = 100_000
/** The log alternates blocks of imported history and live alerts, so that replays cross both. */
const block = 1000
const isImportedSeq = (seq: number) => Math.floor((seq - 1) / block) % 2 === 0

/** Writes `logSize` events straight into a fresh SQLite store, as a long-running server with an import would have. */
async function writeLargeLog(path: string) {
  const store = new SqliteEventStore(path)
  await store.open()
  const epoch = Date.parse('2025-01-01T00:00:00Z')
  const time = (seq: number) => new Date(epoch + seq * 1000).toISOString()
  for (let from = 1; from <= logSize; from += 10_000) {
    const drafts: EventDraft[] = []
    for (let seq = from; seq < from + 10_000; seq += 2) {
      const id = `flood-${seq}`
      if (isImportedSeq(seq)) {
        const alert = {
          id,
          kind: 'official' as const,
          regionId: regions.lvivOblast,
          startedAt: time(seq),
          endedAt: time(seq + 1),
        }
        drafts.push(startDraft(alert), endDraft(alert))
      } else {
        drafts.push(
          {
            time: time(seq),
            actor: 'flood-operator',
            payload: {
              type: 'alert.started',
              alert: {
                id,
                type: 'air_raid',
                status: 'Actual',
                regions: [regions.kyivCity],
                message: { uk: 'Повітряна тривога', en: 'Air raid alert' },
                instructions: { uk: 'Прямуйте в укриття', en: 'Go to a shelter' },
                source: 'operator',
                issuerId: 'flood-operator',
                confirmedBy: null,
                startedAt: time(seq),
              },
            },
          },
          {
            time: time(seq + 1),
            actor: 'flood-operator',
            payload: { type: 'alert.ended', alertId: id, endedAt: time(seq + 1) },
          },
        )
      }
    }
    await store.append(drafts)
  }
  await store.close()
}

/** The seqs a client resuming after `from` must get from a log whose head is `head`: live events only. */
const liveAfter = (from: number, head: number) => {
  const seqs: number[] = []
  for (let seq = from + 1; seq <= head; seq++) if (!isImportedSeq(seq)) seqs.push(seq)
  return seqs
}

interface Frame {
  id: number | null
  event: string
  data: any
}

/** An SSE client over node:http that keeps every frame; `stopAfter` drops the connection after that many frames. */
function sse(url: string, headers: Record<string, string> = {}, stopAfter = Number.POSITIVE_INFINITY) {
  const frames: Frame[] = []
  let buffer = ''
  let status = 0
  let closed = false
  const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
    status = res.statusCode ?? 0
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => {
      buffer += chunk
      for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
        const text = buffer.slice(0, i)
        buffer = buffer.slice(i + 2)
        const id = /^id: (\d+)$/m.exec(text)?.[1]
        const event = /^event: (.*)$/m.exec(text)?.[1]
        const data = /^data: (.*)$/m.exec(text)?.[1]
        if (!event || !data || closed) continue
        frames.push({ id: id === undefined ? null : Number(id), event, data: JSON.parse(data) })
        if (frames.length >= stopAfter) {
          closed = true
          req.destroy()
        }
      }
    })
  })
  req.on('error', () => {})
  return {
    frames,
    get status() {
      return status
    },
    close: () => req.destroy(),
  }
}

/** A WebSocket client that keeps every message. */
function ws(url: string) {
  const messages: any[] = []
  const socket = new WebSocket(url)
  socket.on('message', (m) => messages.push(JSON.parse(m.toString())))
  socket.on('error', () => {})
  let closeCode: number | null = null
  const closed = new Promise<void>((r) =>
    socket.on('close', (code) => {
      closeCode = code
      r()
    }),
  )
  return {
    messages,
    closed,
    get closeCode() {
      return closeCode
    },
    close: () => socket.close(),
  }
}

async function until(what: string, ok: () => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('stream replays under a flood', () => {
  let s: TestServer
  let dir: string

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sirena-replay-flood-'))
    await writeLargeLog(join(dir, 'sirena.db'))
    // Every client of this test comes from 127.0.0.1: let each of them replay.
    s = await startTestServer({ dataDir: dir, env: { SIRENA_STREAM_MAX_REPLAYS_PER_IP: '64' }, features: [] })
  })
  after(async () => {
    await s?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  test('a command issued while many clients replay the log succeeds at once, and every replay is exact', async () => {
    const head = s.sirena.state.seq
    assert.equal(head, logSize)
    const window = 4000
    const resumes = Array.from({ length: 10 }, (_, i) => head - window + i * 101)
    const replaying = resumes.map((from) => ({ from, client: sse(`${s.url}/api/v1/stream?after=${from}`) }))
    const sockets = [head - 3000, head - 2500].map((from) => ({
      from,
      client: ws(`${s.url.replace('http', 'ws')}/api/v1/ws?after=${from}`),
    }))
    // One client drops its connection part-way and resumes with the last id it got, as EventSource does.
    const dropping = sse(`${s.url}/api/v1/stream`, { 'last-event-id': String(head - window) }, 300)
    // One client far behind: told to re-sync instead of replaying 100,000 events.
    const farBehind = sse(`${s.url}/api/v1/stream?after=0`)

    await until('every replay to have started', () =>
      [...replaying.map((r) => r.client.frames), ...sockets.map((w) => w.client.messages), farBehind.frames].every(
        (f) => f.length > 0,
      ),
    )
    const issued = await s.call('POST', '/api/v1/alerts', {
      token: s.adminToken,
      body: { type: 'air_raid', regions: [regions.lvivOblast] },
    })
    const replaysWhenAnswered = s.http.hub.replays.size
    assert.equal(issued.status, 201, issued.text)
    assert.ok(replaysWhenAnswered > 0, 'the command was answered while replays were still reading the log')
    assert.equal((await s.call('GET', '/healthz')).status, 200)
    const commandSeq = issued.json.seq as number

    await until('the dropped client to have its first part', () => dropping.frames.length >= 300)
    const lastId = dropping.frames.at(-1)!.id!
    const resumed = sse(`${s.url}/api/v1/stream`, { 'last-event-id': String(lastId) })

    const expected = (from: number) => [...liveAfter(from, head), commandSeq]
    await until(
      'every replay to reach the live command',
      () =>
        [...replaying.map((r) => r.client.frames), resumed.frames].every((f) => f.at(-1)?.id === commandSeq) &&
        sockets.every((w) => w.client.messages.at(-1)?.seq === commandSeq),
    )
    for (const { from, client } of replaying) {
      assert.equal(client.status, 200)
      assert.deepEqual(
        client.frames.map((f) => f.id),
        expected(from),
        `SSE replay after ${from}: every live event once, in order, none imported`,
      )
    }
    for (const { from, client } of sockets)
      assert.deepEqual(
        client.messages.map((m) => m.seq),
        expected(from),
      )
    assert.deepEqual(
      [...dropping.frames, ...resumed.frames].map((f) => f.id),
      expected(head - window),
      'a replay resumed with Last-Event-ID continues exactly where it stopped',
    )
    const sample = replaying[0]!.client.frames[0]!
    assert.equal(sample.data.alert.id, `flood-${sample.id}`, 'a replayed event carries its alert as it stood')

    assert.equal(farBehind.frames[0]!.event, 'resync')
    assert.deepEqual(
      [farBehind.frames[0]!.id, farBehind.frames[0]!.data.code, farBehind.frames[0]!.data.seq],
      [head, 'stream_resync_required', head],
    )
    await until('the far-behind client to get the live command', () => farBehind.frames.length >= 2)
    assert.deepEqual(
      farBehind.frames.map((f) => f.id),
      [head, commandSeq],
      'after the resync frame, live events',
    )

    for (const c of [...replaying.map((r) => r.client), resumed, farBehind]) c.close()
    for (const w of sockets) w.client.close()
    await until('every replay slot to be given back', () => s.http.hub.replays.size === 0)
    await s.call('POST', `/api/v1/alerts/${issued.json.alert.id}/end`, { token: s.adminToken })
  })
})

describe('stream replay limits', () => {
  let s: TestServer

  before(async () => {
    s = await startTestServer({
      env: {
        SIRENA_STREAM_MAX_REPLAYS: '2',
        SIRENA_STREAM_MAX_REPLAYS_PER_IP: '1',
        SIRENA_STREAM_REPLAY_MAX_EVENTS: '100',
      },
      features: [],
    })
    const a = await s.call('POST', '/api/v1/alerts', {
      token: s.adminToken,
      body: { type: 'air_raid', regions: [regions.kyivCity] },
    })
    await s.call('POST', `/api/v1/alerts/${a.json.alert.id}/end`, { token: s.adminToken })
  })
  after(() => s?.close())

  test('a replay over the per-address or the global limit is refused with its code, and admitted once a slot frees', async () => {
    const hub = s.http.hub
    // Slots held as replays that are still reading would hold them.
    const mine = hub.admit('127.0.0.1', 0)
    const perAddress = await s.call('GET', '/api/v1/stream?after=0')
    assert.equal(perAddress.status, 429)
    assert.equal(perAddress.json.code, 'stream_replay_limited')
    assert.equal(perAddress.headers.get('retry-after'), '5')
    const socket = ws(`${s.url.replace('http', 'ws')}/api/v1/ws?after=0`)
    await socket.closed
    assert.equal(socket.closeCode, 1013)
    assert.equal(socket.messages[0].error.code, 'stream_replay_limited')

    mine.release()
    const others = [hub.admit('10.0.0.8', 0), hub.admit('10.0.0.9', 0)]
    const global = await s.call('GET', '/api/v1/stream?after=0')
    assert.equal(global.status, 503)
    assert.equal(global.json.code, 'stream_replays_busy')

    for (const o of others) o.release()
    const admitted = sse(`${s.url}/api/v1/stream?after=0`)
    await until('the replay', () => admitted.frames.length === 2, 10_000)
    assert.deepEqual(
      admitted.frames.map((f) => [f.id, f.event]),
      [
        [1, 'alert.started'],
        [2, 'alert.ended'],
      ],
    )
    admitted.close()
  })

  test('live clients are never limited: a client not resuming takes no replay slot', async () => {
    const hub = s.http.hub
    const held = [hub.admit('10.0.0.8', 0), hub.admit('10.0.0.9', 0)]
    const live = sse(`${s.url}/api/v1/stream`)
    const atHead = sse(`${s.url}/api/v1/stream`, { 'last-event-id': String(s.sirena.state.seq) })
    await new Promise((r) => setTimeout(r, 200))
    assert.deepEqual([live.status, atHead.status], [200, 200])
    for (const h of held) h.release()
    live.close()
    atHead.close()
  })
})
