import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import mqtt, { type MqttClient } from 'mqtt'
import { loadConfig } from '../src/config.ts'
import { loadRegionCatalogue } from '../src/geo/catalogue-file.ts'
import { threatsFeature } from '../src/runtime/features.ts'
import { mqttChannel } from '../src/runtime/mqtt.ts'
import { droneTowardsKyiv } from '../src/testdata/drone-report.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'

const drone = droneTowardsKyiv

const catalogue = loadRegionCatalogue()

describe('threat tracks over HTTP', () => {
  let s: TestServer
  let upstream: string
  let kyivOfficer: string
  let reader: string

  before(async () => {
    const config = loadConfig({ SIRENA_TRACK_AUTO_OBLASTS: 'UA-32' })
    s = await startTestServer({
      features: [threatsFeature(config, { tracks: { clearDwellSeconds: 0 }, tickMs: 200 })],
    })
    upstream = (await s.addIssuer({ role: 'upstream', jurisdiction: [regions.kyivOblast, regions.kyivCity] })).token
    kyivOfficer = (await s.addIssuer({ jurisdiction: [regions.kyivCity] })).token
    reader = (await s.addIssuer({ role: 'reader', jurisdiction: [] })).token
  })
  after(() => s?.close())

  test('a drone heading for Kyiv raises alerts over the hromadas in its path in an auto oblast, from the threat', async () => {
    const res = await s.call('POST', '/api/v1/threats/tracks', { token: upstream, body: { reports: [drone('d1')] } })
    assert.equal(res.status, 200, res.text)
    assert.ok(res.json.warned.length > 0)
    assert.ok(res.json.alerts.length >= 1)
    for (const a of res.json.alerts) {
      assert.equal(a.source, 'threat')
      assert.equal(a.type, 'air_raid')
      // When the drone is expected over the alert's hromadas: CAP's onset and expiry.
      // (never before the engine decided to raise it, a moment before the alert started)
      assert.ok(Date.parse(a.threatWindow.onset) >= Date.parse(a.startedAt) - 1000, JSON.stringify(a.threatWindow))
      assert.ok(Date.parse(a.threatWindow.expires) > Date.parse(a.threatWindow.onset) + 15 * 60_000)
      assert.ok(
        a.regions.every((r: string) => r.startsWith('UA32')),
        'only Kyiv oblast hromadas: the oblast is auto',
      )
    }
    const raised = new Set(res.json.alerts.flatMap((a: any) => a.regions))
    const hromadas = catalogue.descendants(regions.kyivOblast).filter((r) => r.level === 'hromada')
    assert.ok(raised.size < hromadas.length / 2, `${raised.size} of ${hromadas.length} hromadas`)
    // Behind the drone, 40 km south, and 50 km south-west: not in its path.
    for (const name of ['Kaharlyk Urban Hromada', 'Bila Tserkva Urban Hromada']) {
      const h = hromadas.find((r) => r.name.en === name)!
      assert.ok(!raised.has(h.id), name)
    }
  })

  test('Kyiv city, in recommend mode, gets a proposal with an ETA, and the region API gives its time to shelter', async () => {
    const proposals = await s.call('GET', '/api/v1/threats/tracks/proposals', { token: kyivOfficer })
    assert.equal(proposals.status, 200)
    const kyiv = proposals.json.proposals.find((p: any) => p.hromadaId === regions.kyivCity)
    assert.ok(kyiv, JSON.stringify(proposals.json))
    assert.equal(kyiv.action, 'warn')
    assert.ok(Date.parse(kyiv.earliestAt) > Date.now())
    const eta = await s.call('GET', '/api/v1/threats/tracks/regions/UA-30')
    assert.equal(eta.status, 200)
    assert.ok(eta.json.timeToShelterSeconds > 0 && eta.json.timeToShelterSeconds < 20 * 60, eta.text)
    const region = await s.call('GET', '/api/v1/regions/UA-30')
    assert.equal(region.status, 200, region.text)
    assert.equal(region.json.trackEta.earliestEta, kyiv.earliestAt)
    assert.deepEqual(region.json.trackEta.kinds, ['drone'])
    assert.deepEqual(region.json.trackEta.trackIds, ['d1'])
    assert.equal(region.json.trackEta.warned, true)
    assert.equal(region.json.shelterEta, kyiv.earliestAt, 'no threat report: the track gives the time to shelter')
    assert.ok(Math.abs(region.json.timeToShelterSeconds - eta.json.timeToShelterSeconds) <= 2, region.text)
    const oblast = await s.call('GET', `/api/v1/regions/${regions.kyivOblast}`)
    assert.ok(oblast.json.trackEta, 'an oblast gives the earliest ETA over any hromada in it')
    const far = await s.call('GET', '/api/v1/regions/UA-46')
    assert.equal(far.json.trackEta, null)
    assert.equal(far.json.timeToShelterSeconds, null)
    const active = await s.call('GET', '/api/v1/alerts?regions=UA-30')
    assert.ok(!active.json.alerts?.some((a: any) => a.regions.includes(regions.kyivCity)), 'nothing raised by itself')
  })

  test('a duty officer accepts Kyiv’s proposals with one call: an alert in their own name', async () => {
    const res = await s.call('POST', '/api/v1/threats/tracks/proposals/accept', {
      token: kyivOfficer,
      body: { oblast: 'UA-30' },
    })
    assert.equal(res.status, 200, res.text)
    assert.equal(res.json.alerts.length, 1)
    assert.deepEqual(res.json.alerts[0].regions, [regions.kyivCity])
    assert.equal(res.json.alerts[0].source, 'threat')
    assert.ok(res.json.alerts[0].threatWindow, 'an accepted proposal carries its ETAs as the threat window')
    const again = await s.call('GET', '/api/v1/threats/tracks/proposals', { token: kyivOfficer })
    assert.ok(!again.json.proposals.some((p: any) => p.hromadaId === regions.kyivCity && p.action === 'warn'))
  })

  test('the public track view shows the track, its corridor and a countdown per hromada', async () => {
    const res = await s.call('GET', '/api/v1/threats/tracks')
    assert.equal(res.status, 200)
    const [t] = res.json.tracks
    assert.equal(t.id, 'd1')
    assert.equal(t.corridor.type, 'Polygon')
    assert.ok(t.corridor.coordinates[0].length > 10)
    const warned = res.json.hromadas.filter((h: any) => h.warned)
    assert.ok(warned.length > 0 && warned.every((h: any) => typeof h.timeToShelterSeconds === 'number'))
  })

  test('a kill gives the all-clear: the auto alerts end and Kyiv gets an all-clear proposal', async () => {
    const res = await s.call('POST', '/api/v1/threats/tracks', {
      token: upstream,
      body: { reports: [{ type: 'destroyed', id: 'd1', at: new Date().toISOString() }] },
    })
    assert.equal(res.status, 200, res.text)
    assert.ok(res.json.ended.length >= 1, res.text)
    const proposals = await s.call('GET', '/api/v1/threats/tracks/proposals', { token: kyivOfficer })
    assert.ok(proposals.json.proposals.some((p: any) => p.hromadaId === regions.kyivCity && p.action === 'all_clear'))
    const accepted = await s.call('POST', '/api/v1/threats/tracks/proposals/accept', { token: kyivOfficer, body: {} })
    assert.equal(accepted.status, 200, accepted.text)
    assert.equal(accepted.json.ended.length, 1)
  })

  test('a fix for a destroyed track is refused with track_not_active', async () => {
    const res = await s.call('POST', '/api/v1/threats/tracks', { token: upstream, body: { reports: [drone('d1')] } })
    assert.equal(res.status, 409)
    assert.equal(res.json.code, 'track_not_active')
  })

  test('only an upstream reports tracks, and a bad report is refused whole with invalid_body', async () => {
    for (const token of [reader, kyivOfficer, s.adminToken]) {
      const res = await s.call('POST', '/api/v1/threats/tracks', { token, body: { reports: [drone('x1')] } })
      assert.equal(res.status, 403)
      assert.equal(res.json.code, 'forbidden')
    }
    assert.equal((await s.call('POST', '/api/v1/threats/tracks', { body: { reports: [drone('x1')] } })).status, 401)
    for (const bad of [
      { kind: 'ufo' },
      { lat: 'north' },
      { headingDeg: 361 },
      { observedAt: 'yesterday' },
      { lon: 120, lat: 10 },
      { observedAt: new Date(Date.now() + 3_600_000).toISOString() },
      { extra: 1 },
    ]) {
      const res = await s.call('POST', '/api/v1/threats/tracks', {
        token: upstream,
        body: { reports: [drone('ok1'), drone('x2', bad)] },
      })
      assert.equal(res.status, 400, `${JSON.stringify(bad)}: ${res.text}`)
      assert.equal(res.json.code, 'invalid_body')
    }
    const view = await s.call('GET', '/api/v1/threats/tracks')
    assert.ok(!view.json.tracks.some((t: any) => t.id === 'ok1'), 'nothing of a refused batch is kept')
  })

  test('an Exercise track raises Exercise alerts only, and the public view of Actual tracks does not show it', async () => {
    const res = await s.call('POST', '/api/v1/threats/tracks', {
      token: upstream,
      body: { status: 'Exercise', reports: [drone('drill-1')] },
    })
    assert.equal(res.status, 200, res.text)
    assert.ok(res.json.alerts.length >= 1 && res.json.alerts.every((a: any) => a.status === 'Exercise'))
    const actual = await s.call('GET', '/api/v1/threats/tracks')
    assert.ok(!actual.json.tracks.some((t: any) => t.id === 'drill-1'))
    const drill = await s.call('GET', '/api/v1/threats/tracks?status=Exercise')
    assert.ok(drill.json.tracks.some((t: any) => t.id === 'drill-1'))
  })

  test('the OpenAPI document describes a region’s time to shelter from the tracks', async () => {
    const doc = await s.call('GET', '/api/docs/json')
    const schema = doc.json.paths['/api/v1/regions/{id}'].get.responses['200'].content['application/json'].schema
    assert.ok(schema.properties.trackEta && schema.properties.shelterEta && schema.properties.timeToShelterSeconds)
  })

  test('only an admin sets an oblast’s mode', async () => {
    const refused = await s.call('PUT', '/api/v1/threats/tracks/modes/UA-46', {
      token: upstream,
      body: { mode: 'auto' },
    })
    assert.equal(refused.status, 403)
    const ok = await s.call('PUT', '/api/v1/threats/tracks/modes/UA-46', {
      token: s.adminToken,
      body: { mode: 'auto' },
    })
    assert.equal(ok.status, 200)
    assert.equal(ok.json.mode, 'auto')
    const bad = await s.call('PUT', '/api/v1/threats/tracks/modes/UA-46', { token: s.adminToken, body: { mode: 'x' } })
    assert.equal(bad.status, 400)
  })
})

describe('a region’s time to shelter from threat tracks over MQTT', () => {
  let s: TestServer
  let dataDir: string
  let upstream: string
  let device: MqttClient

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sirena-track-mqtt-'))
    const config = loadConfig({}, { data: dataDir, mqttPort: 0 })
    s = await startTestServer({
      dataDir,
      features: [threatsFeature(config, { tracks: { clearDwellSeconds: 0 }, tickMs: 200 }), mqttChannel(config)],
    })
    upstream = (await s.addIssuer({ role: 'upstream', jurisdiction: [regions.kyivOblast, regions.kyivCity] })).token
    device = await mqtt.connectAsync((await s.call('GET', '/api/v1/sirens')).json.broker)
  })
  after(async () => {
    await device?.endAsync()
    await s?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  /** The latest message on a topic once it satisfies `done`. */
  const state = (topic: string, done: (m: any) => boolean) =>
    new Promise<any>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mqtt ${topic}: nothing matched`)), 5000)
      const on = (t: string, payload: Buffer) => {
        const m = JSON.parse(payload.toString())
        if (t !== topic || !done(m)) return
        clearTimeout(timer)
        device.off('message', on)
        resolve(m)
      }
      device.on('message', on)
    })

  test('the retained state gives the ETA of a drone heading for the region and the seconds left, then clears it', async () => {
    const topic = `sirena/regions/${regions.kyivCity}/state`
    const calm = state(topic, (m) => m.shelterEta === null)
    await device.subscribeAsync(topic, { qos: 1 })
    assert.equal((await calm).timeToShelterSeconds, null)

    const warned = state(topic, (m) => m.shelterEta !== null)
    const res = await s.call('POST', '/api/v1/threats/tracks', { token: upstream, body: { reports: [drone('m1')] } })
    assert.equal(res.status, 200, res.text)
    const m = await warned
    const region = await s.call('GET', `/api/v1/regions/${regions.kyivCity}`)
    assert.ok(Math.abs(Date.parse(m.shelterEta) - Date.parse(region.json.shelterEta)) < 30_000, JSON.stringify(m))
    assert.ok(m.timeToShelterSeconds > 0 && m.timeToShelterSeconds < 20 * 60, JSON.stringify(m))
    assert.equal(m.threatLevel, 'yellow', 'a drone track gives the yellow level, as a drone threat report does')

    const cleared = state(topic, (m) => m.shelterEta === null)
    await s.call('POST', '/api/v1/threats/tracks', {
      token: upstream,
      body: { reports: [{ type: 'destroyed', id: 'm1', at: new Date().toISOString() }] },
    })
    const after = await cleared
    assert.deepEqual([after.timeToShelterSeconds, after.threatLevel], [null, null])
  })
})

describe('threat tracks across a restart', () => {
  let dataDir: string
  const config = loadConfig({ SIRENA_TRACK_AUTO_OBLASTS: 'UA-32' })
  const features = [threatsFeature(config, { tracks: { clearDwellSeconds: 0 }, tickMs: 200 })]
  let upstream: string
  let officer: string
  let raised: string[]

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sirena-track-restart-'))
    const first = await startTestServer({ dataDir, features })
    try {
      upstream = (await first.addIssuer({ role: 'upstream', jurisdiction: [regions.kyivOblast] })).token
      officer = (await first.addIssuer({ jurisdiction: [regions.kyivOblast] })).token
      const res = await first.call('POST', '/api/v1/threats/tracks', {
        token: upstream,
        body: { reports: [drone('r1'), drone('r2', { lon: 30.9, lat: 50.2 })] },
      })
      raised = res.json.alerts.map((a: any) => a.id).sort()
      assert.ok(raised.length > 0, res.text)
      const before = await first.call('GET', '/api/v1/threats/tracks/proposals', { token: officer })
      assert.deepEqual(before.json.alertsWithoutTrack, [], 'a track stands behind each alert')
    } finally {
      await first.close()
    }
  })
  after(() => rmSync(dataDir, { recursive: true, force: true }))

  test('the board is rebuilt from the journal: the tracks are back, and their kill still gives the all-clear', async () => {
    const second = await startTestServer({ dataDir, features })
    try {
      const view = await second.call('GET', '/api/v1/threats/tracks')
      assert.deepEqual(view.json.tracks.map((t: any) => t.id).sort(), ['r1', 'r2'])
      const proposals = await second.call('GET', '/api/v1/threats/tracks/proposals', { token: officer })
      assert.deepEqual(proposals.json.alertsWithoutTrack, [], 'the engine took its alerts back')
      assert.deepEqual(
        second.sirena
          .activeAlerts('Actual')
          .filter((a) => a.source === 'threat')
          .map((a) => a.id)
          .sort(),
        raised,
        'no second alert for hromadas already warned',
      )
      const at = new Date().toISOString()
      const res = await second.call('POST', '/api/v1/threats/tracks', {
        token: upstream,
        body: {
          reports: [
            { type: 'destroyed', id: 'r1', at },
            { type: 'destroyed', id: 'r2', at },
          ],
        },
      })
      assert.equal(res.status, 200, res.text)
      assert.deepEqual(res.json.ended.sort(), raised)
    } finally {
      await second.close()
    }
  })

  test('without its journal, an alert raised from a track stays on and is shown as having no live track', async () => {
    // Raise again, then lose the journal (a restart of an older version, or a disk replaced): nothing is forgotten
    // into an all-clear, and the duty officer is told which alerts no track stands behind.
    const third = await startTestServer({ dataDir, features })
    let again: string[]
    try {
      assert.deepEqual(third.sirena.activeAlerts('Actual'), [], 'killed tracks raise nothing when rebuilt')
      const res = await third.call('POST', '/api/v1/threats/tracks', {
        token: upstream,
        body: { reports: [drone('r3')] },
      })
      again = res.json.alerts.map((a: any) => a.id).sort()
      assert.ok(again.length > 0, res.text)
    } finally {
      await third.close()
    }
    rmSync(join(dataDir, 'tracks.json'))
    const fourth = await startTestServer({ dataDir, features })
    try {
      const after = await fourth.call('GET', '/api/v1/threats/tracks/proposals', { token: officer })
      assert.equal(after.status, 200, after.text)
      assert.deepEqual(after.json.alertsWithoutTrack.map((a: any) => a.id).sort(), again)
      for (const id of again) assert.equal(fourth.sirena.state.active.has(id), true, 'forgetting ends nothing')
    } finally {
      await fourth.close()
    }
  })
})
