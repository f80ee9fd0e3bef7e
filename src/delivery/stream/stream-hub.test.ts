import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, describe, test } from 'node:test'
import { regions, startTestServer, type TestServer } from '../../testdata/harness.ts'

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
        send: (frame) => order.push(`sent ${frame.json.length > 0}`),
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
    assert.deepEqual(order, ['answered', 'sent true'])
    closed = true
  })
})
