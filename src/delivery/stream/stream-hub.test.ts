import assert from 'node:assert/strict'
import http from 'node:http'
import net from 'node:net'
import { after, before, describe, test } from 'node:test'
import { regions, startTestServer, type TestServer } from '../../testdata/harness.ts'
import type { StreamSink } from './stream-sink.ts'

/** The `alert.id`s of the `alert.started` frames a subscription receives, in order. */
function startedAlerts(url: string) {
  const ids: string[] = []
  let buffer = ''
  const req = http.get(url, { headers: { accept: 'text/event-stream' } }, (res) => {
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => {
      buffer += chunk
      for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
        const frame = buffer.slice(0, i)
        buffer = buffer.slice(i + 2)
        const data = /^data: (.*)$/m.exec(frame)?.[1]
        if (frame.includes('event: alert.started') && data) ids.push(JSON.parse(data).alert.id)
      }
    })
  })
  req.on('error', () => {})
  return {
    ids,
    async first(): Promise<string> {
      for (let waited = 0; ids.length === 0; waited += 20) {
        if (waited > 5000) throw new Error('no alert arrived')
        await new Promise((r) => setTimeout(r, 20))
      }
      return ids[0]!
    },
    close: () => req.destroy(),
  }
}

describe('stream region filter', () => {
  let s: TestServer
  before(async () => {
    s = await startTestServer()
  })
  after(async () => {
    await s.close()
  })

  test('a filter passes alerts on its regions, their ancestors and descendants, and nothing else', async () => {
    const cat = s.sirena.catalogue
    const lvivHromadas = cat.atLevel('hromada').filter((h) => h.oblast === regions.lvivOblast)
    const target = lvivHromadas[0]!
    const sibling = lvivHromadas.find((h) => h.parent !== target.parent)!
    const stream = (filter: string) => startedAlerts(`${s.url}/api/v1/stream?regions=${filter}`)
    const oblast = stream('UA-46')
    const raion = stream(target.parent!)
    const hromada = stream(target.id)
    const otherRaion = stream(sibling.id)
    const elsewhere = stream(regions.kyivCity)
    const twoRegions = stream(`${regions.kyivCity},${sibling.id}`)
    await new Promise((r) => setTimeout(r, 200))

    const issue = async (region: string) => {
      const res = await s.call('POST', '/api/v1/alerts', {
        token: s.adminToken,
        body: { type: 'air_raid', regions: [region] },
      })
      assert.equal(res.status, 201)
      return res.json.alert.id as string
    }
    const onHromada = await issue(target.id)
    // Later alerts mark where each stream stands: a stream whose first alert is one of these never saw the first.
    const onSibling = await issue(sibling.id)
    const onKyiv = await issue(regions.kyivCity)

    assert.equal(await oblast.first(), onHromada, 'an oblast filter passes an alert on a hromada inside it')
    assert.equal(await raion.first(), onHromada, 'a raion filter passes an alert on a hromada inside it')
    assert.equal(await hromada.first(), onHromada)
    assert.equal(await otherRaion.first(), onSibling, 'a hromada in another raion is not concerned')
    assert.equal(await elsewhere.first(), onKyiv, 'another oblast is not concerned')
    assert.equal(await twoRegions.first(), onSibling, 'any region of a filter list is enough')

    const onOblast = await issue(regions.lvivOblast)
    for (const sub of [oblast, raion, hromada, otherRaion]) {
      for (let waited = 0; !sub.ids.includes(onOblast); waited += 20) {
        if (waited > 5000) throw new Error('an oblast alert did not reach a filter inside the oblast')
        await new Promise((r) => setTimeout(r, 20))
      }
    }
    for (const sub of [oblast, raion, hromada, otherRaion, elsewhere, twoRegions]) sub.close()
  })
})

describe('stream shutdown', () => {
  test('closing the server ends open streams instead of waiting for their clients', { timeout: 20_000 }, async () => {
    const s = await startTestServer()
    let ended = false
    const req = http.get(`${s.url}/api/v1/stream`, (res) => {
      res.resume()
      res.on('end', () => {
        ended = true
      })
    })
    req.on('error', () => {})
    for (let waited = 0; s.http.hub.size === 0; waited += 20) {
      if (waited > 5000) throw new Error('the subscriber never attached')
      await new Promise((r) => setTimeout(r, 20))
    }
    await s.close()
    for (let waited = 0; !ended; waited += 20) {
      if (waited > 5000) throw new Error('the stream did not end')
      await new Promise((r) => setTimeout(r, 20))
    }
    req.destroy()
  })
})

describe('stream fan-out and the writer', () => {
  let s: TestServer
  before(async () => {
    s = await startTestServer()
  })
  after(async () => {
    await s.close()
  })

  test('a command has its answer before its event is written to any subscriber', async () => {
    const order: string[] = []
    let closed = false
    await s.http.hub.attachSink(
      {
        send: (batch) => order.push(`sent ${batch.frames.length}`),
        heartbeat: () => {},
        buffered: () => 0,
        get closed() {
          return closed
        },
        destroy: () => {
          closed = true
        },
        end: () => {
          closed = true
        },
        onClose: () => {},
      },
      s.http.hub.admit('test', null),
      null,
    )
    const issuer = (await s.sirena.authenticate(s.adminToken)) as Parameters<typeof s.sirena.execute>[0]
    await s.sirena.execute(issuer, {
      kind: 'notice',
      noticeId: s.sirena.id(),
      regions: [regions.kyivCity],
      text: { uk: 'Тест', en: 'Test' },
      status: 'Actual',
    })
    order.push('answered')
    for (let waited = 0; order.length < 2 && waited < 2000; waited += 10) await new Promise((r) => setTimeout(r, 10))
    assert.deepEqual(order, ['answered', 'sent 1'])
    closed = true
  })
})

/** A sink that records what it is sent: the seqs of each write, in order. */
function recordingSink(o: { buffered?: () => number; onSend?: () => void } = {}) {
  const writes: number[][] = []
  let closed = false
  const sink: StreamSink & { writes: number[][]; destroyed: boolean } = {
    writes,
    destroyed: false,
    send: (batch) => {
      o.onSend?.()
      writes.push(batch.frames.map((f) => Number(/^id: (\d+)/.exec(f.sse.toString('utf8'))![1])))
    },
    heartbeat: () => {},
    buffered: o.buffered ?? (() => 0),
    get closed() {
      return closed
    },
    destroy: () => {
      sink.destroyed = true
      closed = true
    },
    end: () => {
      closed = true
    },
    onClose: () => {},
  }
  return sink
}

async function until(what: string, done: () => boolean) {
  for (let waited = 0; !done(); waited += 10) {
    if (waited > 5000) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('stream fan-out passes', () => {
  let s: TestServer
  let issuer: Parameters<TestServer['sirena']['execute']>[0]
  before(async () => {
    s = await startTestServer()
    issuer = (await s.sirena.authenticate(s.adminToken)) as typeof issuer
  })
  after(async () => {
    await s.close()
  })
  const notice = () =>
    s.sirena.execute(issuer, {
      kind: 'notice',
      noticeId: s.sirena.id(),
      regions: [regions.kyivCity],
      text: { uk: 'Тест', en: 'Test' },
      status: 'Actual',
    })

  test('events that come together reach each subscriber in one write, every seq once and in order', async () => {
    const subs = [recordingSink(), recordingSink()]
    for (const sink of subs) await s.http.hub.attachSink(sink, s.http.hub.admit('test', null), null)
    const from = s.sirena.state.seq
    await Promise.all(Array.from({ length: 8 }, notice))
    await notice()
    const seqs = Array.from({ length: 9 }, (_, i) => from + 1 + i)
    for (const sink of subs) {
      await until('every event', () => sink.writes.flat().length >= seqs.length)
      assert.deepEqual(sink.writes.flat(), seqs, 'each seq exactly once, in order')
      assert.ok(sink.writes.length < seqs.length, `${sink.writes.length} writes for ${seqs.length} events`)
      sink.end()
    }
  })

  test('a subscriber that falls behind is dropped without holding back the others', async () => {
    const slow = recordingSink({ buffered: () => Number.MAX_SAFE_INTEGER })
    const fast = recordingSink()
    for (const sink of [slow, fast]) await s.http.hub.attachSink(sink, s.http.hub.admit('test', null), null)
    const from = s.sirena.state.seq
    await notice()
    await until('the first event', () => fast.writes.length > 0)
    await notice()
    await until('both events', () => fast.writes.flat().length >= 2)
    assert.deepEqual(fast.writes.flat(), [from + 1, from + 2])
    assert.ok(slow.destroyed, 'the slow one is dropped; it resumes from its Last-Event-ID')
    assert.deepEqual(slow.writes.flat(), [from + 1], 'and is written no more')
    fast.end()
  })

  test('a subscriber whose transport throws loses its stream, and the others still get the event', async () => {
    const broken = recordingSink({
      onSend: () => {
        throw new Error('socket gone')
      },
    })
    const fine = recordingSink()
    for (const sink of [broken, fine]) await s.http.hub.attachSink(sink, s.http.hub.admit('test', null), null)
    const from = s.sirena.state.seq
    await notice()
    await until('the event', () => fine.writes.length > 0)
    assert.deepEqual(fine.writes.flat(), [from + 1])
    assert.ok(broken.destroyed)
    await notice()
    await until('the next event', () => fine.writes.flat().length > 1)
    assert.deepEqual(fine.writes.flat(), [from + 1, from + 2], 'the fan-out goes on after it')
    fine.end()
  })

  test('an HTTP/1.1 stream gets its frames as whole chunks, an HTTP/1.0 one gets them bare', async () => {
    const { hostname, port } = new URL(s.url)
    const raw = (version: string) => {
      const socket = net.connect({ host: hostname, port: Number(port) })
      let text = ''
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8')
      })
      socket.write(`GET /api/v1/stream HTTP/${version}\r\nHost: ${hostname}\r\n\r\n`)
      return { socket, text: () => text }
    }
    const http11 = raw('1.1')
    const http10 = raw('1.0')
    await until('both streams', () => http11.text().includes('retry:') && http10.text().includes('retry:'))
    await notice()
    const seq = s.sirena.state.seq
    const frameOf = (text: string) => new RegExp(`(?:^|\n)([0-9a-f]*\r\n)?(id: ${seq}\n[^]*?\n\n)`).exec(text)
    await until('the frame on both', () => frameOf(http11.text()) !== null && frameOf(http10.text()) !== null)
    const chunked = frameOf(http11.text())!
    assert.match(http11.text(), /transfer-encoding: chunked/i)
    assert.equal(Number.parseInt(chunked[1]!, 16), Buffer.byteLength(chunked[2]!), 'the chunk size is the frame')
    assert.doesNotMatch(http10.text(), /transfer-encoding: chunked/i)
    assert.equal(frameOf(http10.text())![1], undefined, 'no chunk size before the frame')
    http11.socket.destroy()
    http10.socket.destroy()
  })

  test('a pass over many subscribers yields to the event loop between slices', async () => {
    const events: string[] = []
    const busy = () => {
      // A slow socket write: a tenth of a millisecond each, so 300 of them outlast a slice of a pass.
      const end = performance.now() + 0.1
      while (performance.now() < end) {}
      if (events.length === 0) setImmediate(() => events.push('the event loop turned'))
      events.push('write')
    }
    const sinks = Array.from({ length: 300 }, () => recordingSink({ onSend: busy }))
    for (const sink of sinks) await s.http.hub.attachSink(sink, s.http.hub.admit('test', null), null)
    await notice()
    await until('every subscriber', () => sinks.every((sink) => sink.writes.length > 0))
    const turned = events.indexOf('the event loop turned')
    assert.ok(turned > 0 && turned < events.length - 1, 'the event loop turned before the last write of the pass')
    for (const sink of sinks) sink.end()
  })
})
