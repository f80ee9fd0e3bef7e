import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import mqtt, { type MqttClient } from 'mqtt'
import { compatApis } from '../src/compat/index.ts'
import { schemaValidator } from '../src/compat/testdata/server.ts'
import { loadConfig } from '../src/config.ts'
import { threatsFeature } from '../src/runtime/features.ts'
import { mqttChannel } from '../src/runtime/mqtt.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'

interface SseEvent {
  event: string
  data: any
}

/** Server-sent events as they arrive on the wire. */
function subscribe(url: string) {
  const events: SseEvent[] = []
  let buffer = ''
  const req = http.get(url, { headers: { accept: 'text/event-stream' } }, (res) => {
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => {
      buffer += chunk
      for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
        const lines = buffer.slice(0, i).split('\n')
        buffer = buffer.slice(i + 2)
        const field = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2)
        const data = field('data')
        if (data) events.push({ event: field('event') ?? '', data: JSON.parse(data) })
      }
    })
  })
  req.on('error', () => {})
  return {
    events,
    async until(done: (events: SseEvent[]) => boolean, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs
      while (!done(events)) {
        if (Date.now() > deadline) throw new Error(`stream: ${events.map((e) => e.event).join(', ')}`)
        await new Promise((r) => setTimeout(r, 20))
      }
      return events
    },
    close: () => req.destroy(),
  }
}

/** The latest retained or live message per MQTT topic. */
function latest(client: MqttClient) {
  const last = new Map<string, any>()
  client.on('message', (topic, payload) => last.set(topic, JSON.parse(payload.toString())))
  return async (topic: string, done: (m: any) => boolean) => {
    const deadline = Date.now() + 5000
    while (!last.has(topic) || !done(last.get(topic))) {
      if (Date.now() > deadline) throw new Error(`mqtt ${topic}: ${JSON.stringify(last.get(topic))}`)
      await new Promise((r) => setTimeout(r, 20))
    }
    return last.get(topic)
  }
}

const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString()
const matchesUkraineAlarm = schemaValidator('ukrainealarm-v3')

describe('threat reports end to end', () => {
  let s: TestServer
  let dataDir: string
  let upstream: string
  let reader: string
  let operator: string
  let device: MqttClient
  let hromada: string

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sirena-threats-'))
    const env = { SIRENA_UKRAINEALARM_RATE_LIMIT_PER_MINUTE: '100000' }
    const config = loadConfig(env, { data: dataDir, mqttPort: 0 })
    s = await startTestServer({
      dataDir,
      env,
      features: [compatApis(config), threatsFeature(config), mqttChannel(config)],
    })
    const jurisdiction = [regions.kyivCity, regions.kyivOblast, regions.lvivOblast]
    upstream = (await s.addIssuer({ name: 'air force', role: 'upstream', jurisdiction, types: ['air_raid'] })).token
    reader = (await s.addIssuer({ role: 'reader', jurisdiction: [], types: [] })).token
    operator = (await s.addIssuer({ role: 'operator', jurisdiction: [regions.kyivOblast] })).token
    hromada = s.sirena.catalogue.atLevel('hromada').find((r) => r.oblast === regions.kyivOblast)!.id
    device = await mqtt.connectAsync((await s.call('GET', '/api/v1/sirens')).json.broker)
  })
  after(async () => {
    await device?.endAsync()
    await s?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  test('a ballistic threat on two oblasts raises an alert in each, shows its level everywhere, and its clear ends them', async () => {
    const all = subscribe(`${s.url}/api/v1/stream`)
    const lvivOnly = subscribe(`${s.url}/api/v1/stream?regions=${regions.lvivOblast}`)
    const mqttState = latest(device)
    const stateTopic = `sirena/regions/${hromada}/state`
    await device.subscribeAsync(stateTopic, { qos: 1 })
    await mqttState(stateTopic, (m) => m.threatLevel === null)

    const reported = await s.call('POST', '/api/v1/threats', {
      token: upstream,
      body: {
        id: 'track-0903-1',
        kind: 'ballistic_missile',
        regions: [regions.kyivOblast, 'UA-46'],
        eta: { [hromada]: inMinutes(3), [regions.lvivOblast]: inMinutes(5) },
        expiresAt: inMinutes(30),
      },
    })
    assert.equal(reported.status, 201, reported.text)
    const { threat, alerts } = reported.json
    assert.equal(threat.level, 'red')
    assert.equal(threat.status, 'Actual', 'a report without a status is real')
    assert.equal(threat.state, 'active')
    assert.deepEqual(threat.regions, [regions.kyivOblast, regions.lvivOblast])
    assert.deepEqual(
      alerts.map((a: any) => [a.type, a.source, a.threatId, a.regions]),
      [
        ['air_raid', 'threat', 'track-0903-1', [regions.kyivOblast]],
        ['air_raid', 'threat', 'track-0903-1', [regions.lvivOblast]],
      ],
    )
    assert.deepEqual((await s.call('GET', '/api/v1/pending', { token: operator })).json.pending, [])

    const streamed = await all.until((es) => es.length >= 3)
    assert.deepEqual(
      streamed.map((e) => e.event),
      ['threat.reported', 'alert.started', 'alert.started'],
    )
    assert.deepEqual(streamed[0]?.data.regions, [regions.kyivOblast, regions.lvivOblast])
    const lviv = await lvivOnly.until((es) => es.length >= 2)
    assert.deepEqual(
      lviv.map((e) => e.event),
      ['threat.reported', 'alert.started'],
    )

    const region = await s.call('GET', `/api/v1/regions/${hromada}`)
    assert.equal(region.json.threatLevel, 'red')
    assert.ok(region.json.timeToShelterSeconds > 150 && region.json.timeToShelterSeconds <= 180)
    assert.deepEqual(
      region.json.threats.map((t: any) => [t.id, t.kind, t.level]),
      [['track-0903-1', 'ballistic_missile', 'red']],
    )
    const lvivRegion = await s.call('GET', `/api/v1/regions/${regions.lvivOblast}`)
    assert.ok(lvivRegion.json.timeToShelterSeconds > 270 && lvivRegion.json.timeToShelterSeconds <= 300)
    assert.equal((await s.call('GET', `/api/v1/regions/${regions.kyivCity}`)).json.timeToShelterSeconds, null)

    const kyivOblastUid = s.sirena.catalogue.get(regions.kyivOblast)!.uid
    const compat = await s.call('GET', `/api/v3/alerts/${kyivOblastUid}`, { headers: { authorization: reader } })
    assert.equal(compat.status, 200, compat.text)
    matchesUkraineAlarm('regionAlerts', compat.json)
    assert.deepEqual(
      compat.json[0].activeAlerts[0].activeAlertLevels.map((l: any) => [l.alertLevel, l.reason]),
      [['Red', 'ballistic_missile']],
    )
    await mqttState(stateTopic, (m) => m.threatLevel === 'red' && m.status === 'active')

    const listed = await s.call('GET', '/api/v1/threats')
    assert.deepEqual(
      listed.json.threats.map((t: any) => [t.id, t.kind, t.level]),
      [['track-0903-1', 'ballistic_missile', 'red']],
    )

    const cleared = await s.call('POST', '/api/v1/threats/track-0903-1/clear', { token: upstream })
    assert.equal(cleared.status, 200, cleared.text)
    assert.deepEqual(
      cleared.json.ended.map((a: any) => [a.id, a.endReason]),
      alerts.map((a: any) => [a.id, 'all_clear']),
    )
    assert.equal(s.sirena.state.active.size, 0)
    const afterClear = await all.until((es) => es.length >= 6)
    assert.deepEqual(
      afterClear.slice(3).map((e) => e.event),
      ['threat.cleared', 'alert.ended', 'alert.ended'],
    )
    assert.equal((await s.call('GET', `/api/v1/regions/${hromada}`)).json.threatLevel, null)
    await mqttState(stateTopic, (m) => m.threatLevel === null && m.status === 'none')
    const compatAfter = await s.call('GET', '/api/v3/alerts', { headers: { authorization: reader } })
    assert.deepEqual(compatAfter.json, [])
    all.close()
    lvivOnly.close()
  })

  test('a threat that expires without a clear leaves its alert on and lists it as awaiting an all-clear', async () => {
    const reported = await s.call('POST', '/api/v1/threats', {
      token: upstream,
      body: { kind: 'drone', regions: [regions.kyivCity], expiresAt: new Date(Date.now() + 1200).toISOString() },
    })
    assert.equal(reported.status, 201, reported.text)
    const [alert] = reported.json.alerts
    assert.equal(reported.json.threat.level, 'yellow')
    await new Promise((r) => setTimeout(r, 1500))
    assert.equal(s.sirena.state.active.get(alert.id)?.endedAt, null)
    const listed = (await s.call('GET', '/api/v1/threats')).json
    assert.deepEqual(listed.threats, [])
    assert.deepEqual(
      listed.awaitingAllClear.map((w: any) => [w.alert.id, w.threat.id, w.threat.state]),
      [[alert.id, reported.json.threat.id, 'expired']],
    )
    assert.equal((await s.call('GET', `/api/v1/regions/${regions.kyivCity}`)).json.timeToShelterSeconds, null)
    // The upstream (or a person) gives the all-clear itself.
    assert.equal((await s.call('POST', `/api/v1/alerts/${alert.id}/end`, { token: upstream })).status, 200)
  })

  test('bad reports and clears get a clear 4xx code and write nothing', async () => {
    const ok = {
      kind: 'cruise_missile',
      regions: [regions.kyivOblast],
      expiresAt: inMinutes(30),
    }
    const cases: Array<[string, string | undefined, unknown, number, string]> = [
      ['unknown kind', upstream, { ...ok, kind: 'balloon' }, 400, 'invalid_body'],
      [
        'ETA outside the targets',
        upstream,
        { ...ok, eta: { [regions.lvivOblast]: inMinutes(4) } },
        422,
        'eta_outside_targets',
      ],
      ['ETA that is not a time', upstream, { ...ok, eta: { [hromada]: 'soon' } }, 400, 'invalid_body'],
      ['expiresAt in the past', upstream, { ...ok, expiresAt: inMinutes(-1) }, 422, 'threat_already_expired'],
      ['outside jurisdiction', upstream, { ...ok, regions: [regions.kharkivOblast] }, 403, 'forbidden_region'],
      ['unknown region', upstream, { ...ok, regions: ['UA99999999999999999'] }, 404, 'unknown_region'],
      ['unknown field', upstream, { ...ok, severity: 'extreme' }, 400, 'invalid_body'],
      ['a status that is not CAP', upstream, { ...ok, status: 'Drill' }, 400, 'invalid_body'],
      ['no regions', upstream, { ...ok, regions: [] }, 400, 'invalid_body'],
      ['a reader key', reader, ok, 403, 'forbidden'],
      ['an operator', operator, ok, 403, 'forbidden'],
      ['no token', undefined, ok, 401, 'unauthorized'],
    ]
    const head = s.sirena.state.seq
    for (const [what, token, body, status, code] of cases) {
      const res = await s.call('POST', '/api/v1/threats', { token, body })
      assert.equal(res.status, status, `${what}: ${res.text}`)
      assert.equal(res.json.code, code, what)
      assert.equal(typeof res.json.message, 'string')
    }
    const missing = await s.call('POST', '/api/v1/threats/no-such-threat/clear', { token: upstream })
    assert.deepEqual([missing.status, missing.json.code], [404, 'not_found'])
    assert.equal(s.sirena.state.seq, head, 'nothing was appended')

    const made = await s.call('POST', '/api/v1/threats', {
      token: upstream,
      body: { ...ok, regions: [regions.lvivOblast] },
    })
    const id = made.json.threat.id
    const byReader = await s.call('POST', `/api/v1/threats/${id}/clear`, { token: reader })
    assert.deepEqual([byReader.status, byReader.json.code], [403, 'forbidden'])
    assert.equal((await s.call('POST', `/api/v1/threats/${id}/clear`, { token: upstream })).status, 200)
    const twice = await s.call('POST', `/api/v1/threats/${id}/clear`, { token: upstream })
    assert.deepEqual([twice.status, twice.json.code], [409, 'threat_not_active'])
    const again = await s.call('POST', '/api/v1/threats', { token: upstream, body: { ...ok, id } })
    assert.deepEqual([again.status, again.json.code], [409, 'conflict'])
  })

  test('an upstream’s Exercise threat raises Exercise alerts only and never shows on a public surface as real', async () => {
    const stateTopic = `sirena/regions/${hromada}/state`
    const published: any[] = []
    const collect = (topic: string, payload: Buffer) => {
      if (topic === stateTopic) published.push(JSON.parse(payload.toString()))
    }
    device.on('message', collect)
    const mqttState = latest(device)
    await device.subscribeAsync(stateTopic, { qos: 1 })
    // A real alert over the drill's regions, so that a leaked level would have an alert to show on.
    const real = await s.call('POST', '/api/v1/alerts', {
      token: operator,
      body: { type: 'air_raid', regions: [regions.kyivOblast] },
    })
    assert.equal(real.status, 201, real.text)
    await mqttState(stateTopic, (m) => m.status === 'active')
    const publicBefore = (await s.call('GET', '/api/v1/state')).json

    const reported = await s.call('POST', '/api/v1/threats', {
      token: upstream,
      body: {
        id: 'drill-1',
        kind: 'ballistic_missile',
        status: 'Exercise',
        regions: [regions.kyivOblast, regions.kyivCity],
        eta: { [hromada]: inMinutes(3) },
        expiresAt: inMinutes(30),
      },
    })
    assert.equal(reported.status, 201, reported.text)
    assert.equal(reported.json.threat.status, 'Exercise')
    const drillAlerts = reported.json.alerts
    assert.deepEqual(
      drillAlerts.map((a: any) => [a.status, a.source, a.threatId, a.regions]),
      [
        ['Exercise', 'threat', 'drill-1', [regions.kyivOblast]],
        ['Exercise', 'threat', 'drill-1', [regions.kyivCity]],
      ],
      'a real alert already on does not stop the drill’s own',
    )

    const publicAfter = (await s.call('GET', '/api/v1/state')).json
    assert.deepEqual([publicAfter.regions, publicAfter.alerts], [publicBefore.regions, publicBefore.alerts])
    const exercise = (await s.call('GET', '/api/v1/state?status=Exercise')).json
    assert.deepEqual(exercise.alerts.map((a: any) => a.id).sort(), drillAlerts.map((a: any) => a.id).sort())

    assert.deepEqual((await s.call('GET', '/api/v1/threats')).json.threats, [])
    const drills = (await s.call('GET', '/api/v1/threats?status=Exercise')).json
    assert.deepEqual(
      drills.threats.map((t: any) => [t.id, t.status, t.level]),
      [['drill-1', 'Exercise', 'red']],
    )
    const badQuery = await s.call('GET', '/api/v1/threats?status=Drill')
    assert.deepEqual([badQuery.status, badQuery.json.code], [400, 'invalid_query'])

    const region = (await s.call('GET', `/api/v1/regions/${hromada}`)).json
    assert.deepEqual([region.threatLevel, region.timeToShelterSeconds, region.threats], [null, null, []])

    const compat = await s.call('GET', '/api/v3/alerts', { headers: { authorization: reader } })
    assert.equal(compat.status, 200, compat.text)
    matchesUkraineAlarm('alerts', compat.json)
    const compatAlerts = compat.json.flatMap((r: any) => r.activeAlerts)
    assert.ok(compatAlerts.length > 0, 'the real alert is there')
    assert.deepEqual(
      compatAlerts.flatMap((a: any) => a.activeAlertLevels ?? []),
      [],
    )

    const cleared = await s.call('POST', '/api/v1/threats/drill-1/clear', { token: upstream })
    assert.equal(cleared.status, 200, cleared.text)
    assert.deepEqual(
      cleared.json.ended.map((a: any) => [a.id, a.status]),
      drillAlerts.map((a: any) => [a.id, 'Exercise']),
    )
    assert.equal(
      s.sirena.state.active.get(real.json.alert.id)?.endedAt,
      null,
      'the drill’s clear leaves the real alert on',
    )
    assert.equal((await s.call('POST', `/api/v1/alerts/${real.json.alert.id}/end`, { token: operator })).status, 200)
    await mqttState(stateTopic, (m) => m.status === 'none')
    device.off('message', collect)
    assert.ok(published.length >= 2)
    assert.deepEqual(
      published.filter((m) => m.threatLevel !== null),
      [],
      'the drill never put a threat level on the public topic',
    )
  })
})
