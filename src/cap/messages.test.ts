import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { area } from '@turf/area'
import type { MultiPolygon, Position } from 'geojson'
import pino from 'pino'
import { feature } from 'topojson-client'
import type { Alert } from '../core/alert.ts'
import { defaultInstructions, defaultMessages } from '../core/alert.ts'
import type { EventPayload, LogEvent } from '../core/events.ts'
import { loadRegionCatalogue, loadRegionGeometry } from '../geo/catalogue-file.ts'
import { buildCapXml } from './build.ts'
import { alertMessages, capIdentifier, type MessageOptions } from './messages.ts'
import { readCap } from './read.ts'
import { RegionShapes } from './region-shapes.ts'
import { CapSigner } from './signing.ts'
import { xmllintSchema } from './testdata/tools.ts'

const catalogue = loadRegionCatalogue()
const options: MessageOptions = {
  sender: 'sirena.example.org',
  catalogue,
  shapes: RegionShapes.fromDataFiles(),
  web: 'https://sirena.example.org',
}
const kyivCity = 'UA80000000000093317'
const kyivOblast = 'UA32000000000030281'
const lvivOblast = 'UA46000000000026241'
const bakhmutRaion = 'UA14020000000013572'

let seq = 0
const event = (minute: number, payload: EventPayload): LogEvent => ({
  seq: ++seq,
  time: new Date(Date.UTC(2025, 8, 3, 1, minute, 0, 250)).toISOString(),
  actor: 'kyiv-city-duty',
  payload,
  prevHash: '0'.repeat(64),
  hash: '0'.repeat(64),
})

const started = (id: string, regions: string[], o: Partial<Alert> = {}): EventPayload => ({
  type: 'alert.started',
  alert: {
    id,
    type: o.type ?? 'air_raid',
    status: o.status ?? 'Actual',
    regions,
    message: o.message ?? defaultMessages[o.type ?? 'air_raid'],
    instructions: defaultInstructions[o.type ?? 'air_raid'],
    source: o.source ?? 'operator',
    ...(o.threatWindow && { threatWindow: o.threatWindow }),
    issuerId: 'kyiv-city-duty',
    confirmedBy: null,
    startedAt: '2025-09-03T01:00:00.000Z',
  },
})

describe('CAP messages from the event log', () => {
  const life = [
    event(0, started('a-1', [kyivCity])),
    event(5, { type: 'alert.updated', alertId: 'a-1', regions: [kyivCity, kyivOblast] }),
    event(9, { type: 'alert.ended', alertId: 'a-1', endedAt: '2025-09-03T01:09:00.250Z' }),
  ]
  const messages = alertMessages(life, options).map((m) => m.message)

  test('each event of an alert is one message: Alert, then Update, then Cancel for the all-clear', () => {
    assert.deepEqual(
      messages.map((m) => m.msgType),
      ['Alert', 'Update', 'Cancel'],
    )
    assert.deepEqual(
      messages.map((m) => m.infos[0]!.responseTypes),
      [['Shelter'], ['Shelter'], ['AllClear']],
    )
    assert.equal(messages[2]!.infos[1]!.urgency, 'Past')
  })

  test('identifiers come from sender, alert and seq; sent is the event time in CAP form', () => {
    assert.equal(messages[0]!.identifier, capIdentifier('sirena.example.org', 'a-1', life[0]!.seq))
    assert.equal(messages[0]!.identifier, `urn:sirena:sirena.example.org:a-1:${life[0]!.seq}`)
    assert.equal(messages[0]!.sent, '2025-09-03T01:00:00+00:00')
    assert.deepEqual(alertMessages(life, options), alertMessages(life, options), 'the same log gives the same messages')
  })

  test('every message references all earlier messages of its alert', () => {
    assert.deepEqual(messages[0]!.references, [])
    assert.deepEqual(
      messages[2]!.references.map((r) => r.identifier),
      [messages[0]!.identifier, messages[1]!.identifier],
    )
    assert.deepEqual(messages[1]!.references[0], {
      sender: 'sirena.example.org',
      identifier: messages[0]!.identifier,
      sent: messages[0]!.sent,
    })
  })

  test('an update carries the regions as they stand after it', () => {
    assert.deepEqual(
      messages[1]!.infos[0]!.areas.map((a) => a.geocodes[0]!.value),
      [kyivCity, kyivOblast],
    )
  })

  test('a false-alarm cancel is a Cancel without AllClear, with the reason in note', () => {
    const [, cancel] = alertMessages(
      [
        event(10, started('a-2', [lvivOblast])),
        event(11, {
          type: 'alert.cancelled',
          alertId: 'a-2',
          endedAt: '2025-09-03T01:11:00.250Z',
          reason: 'sent by mistake',
        }),
      ],
      options,
    ).map((m) => m.message)
    assert.equal(cancel!.msgType, 'Cancel')
    assert.equal(cancel!.note, 'sent by mistake')
    assert.deepEqual(cancel!.infos[0]!.responseTypes, ['None'])
  })

  test('two infos, uk-UA and en-US, carry the event, the texts, the type code and the web link', () => {
    const [uk, en] = messages[0]!.infos
    assert.equal(uk!.language, 'uk-UA')
    assert.equal(en!.language, 'en-US')
    assert.equal(uk!.event, 'Повітряна тривога')
    assert.equal(en!.event, 'Air raid alert')
    assert.equal(en!.description, defaultMessages.air_raid.en)
    assert.equal(uk!.instruction, defaultInstructions.air_raid.uk)
    assert.deepEqual(en!.eventCodes, [{ valueName: 'sirena:type', value: 'air_raid' }])
    assert.deepEqual([en!.urgency, en!.severity, en!.certainty], ['Immediate', 'Extreme', 'Observed'])
    assert.equal(en!.headline, 'Air raid alert: Kyiv')
    assert.equal(en!.web, 'https://sirena.example.org')
  })

  test('the type sets category and severity: CBRNE for chemical, Severe for shelling', () => {
    const [chemical] = alertMessages([event(20, started('c', [kyivCity], { type: 'chemical' }))], options)
    assert.deepEqual(chemical!.message.infos[0]!.categories, ['CBRNE'])
    assert.equal(chemical!.message.infos[0]!.severity, 'Extreme')
    const [shelling] = alertMessages([event(21, started('s', [kyivCity], { type: 'artillery_shelling' }))], options)
    assert.deepEqual(shelling!.message.infos[0]!.categories, ['Security'])
    assert.equal(shelling!.message.infos[0]!.severity, 'Severe')
  })

  test('an Exercise alert goes out with status Exercise', () => {
    const [m] = alertMessages([event(30, started('x', [kyivCity], { status: 'Exercise' }))], options)
    assert.equal(m!.message.status, 'Exercise')
  })

  test('each area names the region and carries KATOTTG, ISO 3166-2 at oblast level and the alerts.in.ua uid', () => {
    const area0 = messages[1]!.infos[1]!.areas[1]!
    assert.equal(area0.areaDesc, catalogue.get(kyivOblast)!.name.en)
    assert.deepEqual(area0.geocodes, [
      { valueName: 'KATOTTG', value: kyivOblast },
      { valueName: 'ISO3166-2', value: 'UA-32' },
      { valueName: 'alerts.in.ua', value: String(catalogue.get(kyivOblast)!.uid) },
    ])
  })

  test('each area polygon is one closed ring of at most 100 points', () => {
    for (const a of messages[1]!.infos[0]!.areas) {
      const [ring] = a.polygons
      assert.equal(a.polygons.length, 1)
      assert.ok(ring!.length >= 4 && ring!.length <= 100, `${ring!.length} points`)
      assert.deepEqual(ring![0], ring!.at(-1))
    }
  })

  test('a region in several parts is drawn by its largest part', () => {
    const topology = loadRegionGeometry()
    const f = feature(topology, topology.objects.raions).features.find((x) => x.id === bakhmutRaion)!
    const parts = (f.geometry as MultiPolygon).coordinates
    assert.ok(parts.length > 1)
    const largest = parts.reduce((a, b) =>
      area({ type: 'Polygon', coordinates: a }) >= area({ type: 'Polygon', coordinates: b }) ? a : b,
    )
    const xs = largest[0]!.map((p: Position) => p[0]!)
    const ys = largest[0]!.map((p: Position) => p[1]!)
    const ring = options.shapes.ring(bakhmutRaion, 100)!
    for (const p of ring) {
      assert.ok(p.lon >= Math.min(...xs) - 1e-3 && p.lon <= Math.max(...xs) + 1e-3)
      assert.ok(p.lat >= Math.min(...ys) - 1e-3 && p.lat <= Math.max(...ys) + 1e-3)
    }
  })

  test('many areas get smaller polygons, and past the budget only geocodes, with a headline under 160 characters', () => {
    const hromadas = catalogue
      .atLevel('hromada')
      .slice(0, 500)
      .map((r) => r.id)
    const [wide] = alertMessages([event(40, started('w', hromadas.slice(0, 150)))], options)
    const widest = wide!.message.infos[0]!.areas
    assert.ok(widest.every((a) => a.polygons.length === 1 && a.polygons[0]!.length <= 25))
    const [all] = alertMessages([event(41, started('h', hromadas))], options)
    assert.ok(all!.message.infos[0]!.areas.every((a) => a.polygons.length === 0 && a.geocodes.length > 0))
    for (const info of all!.message.infos) assert.ok((info.headline ?? '').length <= 160, info.headline ?? '')
    assert.match(all!.message.infos[1]!.headline ?? '', /and \d+ more$/)
  })

  // Two hromadas of Kyiv oblast a drone track was expected over, as the track engine raises them.
  const bilaTserkva = 'UA32020010000093088'
  const volodarka = 'UA32020030000029575'
  const window = { onset: '2025-09-03T01:12:00.000Z', expires: '2025-09-03T01:41:30.000Z' }
  const fromTracks = alertMessages(
    [
      event(10, started('t-1', [bilaTserkva, volodarka], { source: 'threat', threatWindow: window })),
      event(20, { type: 'alert.updated', alertId: 't-1', regions: [volodarka] }),
      event(30, { type: 'alert.ended', alertId: 't-1', endedAt: '2025-09-03T01:30:00.250Z' }),
    ],
    options,
  ).map((m) => m.message)

  test('an alert raised from threat tracks carries its onset and expiry, and one area per hromada warned', () => {
    for (const info of fromTracks[0]!.infos) {
      assert.equal(info.onset, '2025-09-03T01:12:00+00:00')
      assert.equal(info.expires, '2025-09-03T01:41:30+00:00')
      assert.deepEqual(
        info.areas.map((a) => a.geocodes[0]!.value),
        [bilaTserkva, volodarka],
      )
    }
    assert.deepEqual(
      fromTracks[1]!.infos[0]!.areas.map((a) => a.geocodes[0]!.value),
      [volodarka],
      'an update keeps the window over the hromadas still warned',
    )
    assert.equal(fromTracks[1]!.infos[0]!.onset, '2025-09-03T01:12:00+00:00')
  })

  test('the all-clear of a track alert, and any alert without a window, carry no onset or expiry', () => {
    assert.equal(fromTracks[2]!.infos[0]!.onset, undefined)
    assert.equal(fromTracks[2]!.infos[0]!.expires, undefined)
    assert.equal(messages[0]!.infos[0]!.onset, undefined)
    assert.equal(messages[0]!.infos[0]!.expires, undefined)
  })

  describe('as signed documents', () => {
    let dir: string
    let signer: CapSigner
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'sirena-messages-'))
      signer = await CapSigner.loadOrCreate(join(dir, 'key.pem'), pino({ level: 'silent' }))
    })
    after(() => rmSync(dir, { recursive: true, force: true }))

    test('every emitted message validates against CAP-v1.2.xsd, signature included, and reads back unchanged', async () => {
      const exercise = alertMessages(
        [
          event(50, started('e', [kyivOblast, lvivOblast], { status: 'Exercise', type: 'nuclear' })),
          event(51, {
            type: 'alert.cancelled',
            alertId: 'e',
            endedAt: '2025-09-03T01:51:00.250Z',
            reason: 'drill over',
          }),
        ],
        options,
      ).map((m) => m.message)
      for (const m of [...messages, ...exercise, ...fromTracks]) {
        const xml = signer.sign(buildCapXml(m))
        const report = await xmllintSchema(xml)
        assert.ok(report.valid, `${m.msgType}: ${report.report}`)
        assert.deepEqual(readCap(xml).alert, m)
      }
    })
  })
})
