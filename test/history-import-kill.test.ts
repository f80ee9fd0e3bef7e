import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import mqtt, { type MqttClient } from 'mqtt'
import { compatApis } from '../src/compat/index.ts'
import { loadConfig } from '../src/config.ts'
import { mqttChannel } from '../src/runtime/mqtt.ts'
import { startTestServer, type TestServer } from '../src/testdata/harness.ts'

/**
 * The fault: `sirena import-history` is killed (kill -9) between two of its transactions while a server runs on the
 * same data directory. What a user sees must not change: no imported alert is live on the native API, the compat
 * APIs or MQTT, and the next live alert switches sirens on for itself only.
 */

const root = fileURLToPath(new URL('..', import.meta.url))
const prefix = `sirena-test-import-kill-${process.pid}`
const vinnytsia = 'UA05000000000010236'
const zhytomyr = 'UA18000000000041385'
const kyivCity = 'UA80000000000093317'

/**
 * Three overlapping alerts a day in three oblasts, for `days` days: a transaction cut by its size alone ends with
 * alerts started and not ended.
 */
function overlappingHistory(days: number): string {
  const lines = ['oblast,raion,hromada,level,started_at,finished_at,source']
  const day0 = Date.parse('2022-03-15T00:00:00Z')
  const at = (d: number, hhmm: string) =>
    `${new Date(day0 + d * 86_400_000).toISOString().slice(0, 10)} ${hhmm}:00+00:00`
  for (let d = 0; d < days; d++) {
    lines.push(`Vinnytska oblast,,,oblast,${at(d, '10:00')},${at(d, '14:00')},official`)
    lines.push(`Zhytomyrska oblast,,,oblast,${at(d, '11:00')},${at(d, '12:00')},official`)
    lines.push(`Kyiv City,,,oblast,${at(d, '12:30')},${at(d, '13:30')},official`)
  }
  return lines.join('\n')
}

const days = 1000
const eventsInFile = days * 3 * 2

/** Runs `sirena import-history`; `killAfterFirstBatch` sends SIGKILL as soon as it reports its first transaction. */
function importHistory(file: string, dataDir: string, killAfterFirstBatch: boolean) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(
        process.execPath,
        [join(root, 'bin/sirena.mjs'), 'import-history', 'official', file, '--data', dataDir, '--batch-size', '4'],
        { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
      )
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d) => (stdout += d))
      child.stderr.on('data', (d) => {
        stderr += d
        // Plain progress lines: the first "appending" line is written after the first transaction committed.
        if (killAfterFirstBatch && /appending: /.test(stderr)) child.kill('SIGKILL')
      })
      child.on('error', reject)
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
    },
  )
}

/** Collects MQTT messages by topic. */
function collect(client: MqttClient) {
  const messages: Array<{ topic: string; body: string }> = []
  client.on('message', (topic, payload) => messages.push({ topic, body: payload.toString() }))
  return messages
}

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('history import killed beside a running server', () => {
  let server: TestServer
  let dataDir: string
  let dir: string
  let file: string
  let readerKey: string
  let brokerUrl: string
  const clients: MqttClient[] = []

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sirena-import-kill-'))
    dataDir = join(dir, 'data')
    file = join(dir, 'official.csv')
    writeFileSync(file, overlappingHistory(days))
    const config = loadConfig({}, { data: dataDir })
    server = await startTestServer({
      dataDir,
      features: [
        compatApis(config),
        mqttChannel({ mqttHost: '127.0.0.1', mqttPort: 0, mqttUrl: undefined, mqttTopicPrefix: prefix }),
      ],
    })
    readerKey = (await server.addIssuer({ name: 'compat reader', role: 'reader', jurisdiction: [], types: [] })).token
    brokerUrl = (await server.call('GET', '/api/v1/sirens')).json.broker
  })
  after(async () => {
    for (const c of clients) await c.endAsync()
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const caughtUp = async () => server.sirena.state.seq === (await server.store.head()).seq
  const device = async () => {
    const c = await mqtt.connectAsync(brokerUrl, { clientId: `import-kill-${clients.length}-${process.pid}` })
    clients.push(c)
    return c
  }
  /** A siren registered for `region`, logged in with its own credentials and listening on its command topic. */
  const siren = async (region: string) => {
    const added = await server.call('POST', '/api/v1/devices', {
      token: server.adminToken,
      body: { kind: 'siren', name: `siren ${clients.length}`, region },
    })
    assert.equal(added.status, 201, added.text)
    const { username, password } = added.json
    const c = await mqtt.connectAsync(brokerUrl, { clientId: username, username, password })
    clients.push(c)
    const commands: Array<{ command: string; alertId: string | null; region: string }> = []
    c.on('message', (_topic, payload) => commands.push(JSON.parse(payload.toString())))
    await c.subscribeAsync(`${prefix}/sirens/${username}/command`, { qos: 1 })
    return commands
  }
  let sirens: Record<'vinnytsia' | 'zhytomyr' | 'kyivCity', Awaited<ReturnType<typeof siren>>>

  test('a killed import shows nothing live anywhere, and the next live alert switches on sirens for itself only', async () => {
    const seqBefore = server.sirena.state.seq
    const killed = await importHistory(file, dataDir, true)
    assert.equal(killed.signal, 'SIGKILL', `the import was killed (stderr: ${killed.stderr})`)
    await until('the server to pick the imported events up', caughtUp)
    const imported = server.sirena.state.seq - seqBefore
    assert.ok(imported > 0 && imported < eventsInFile, `the import stopped part-way (${imported} events)`)

    const state = (await server.call('GET', '/api/v1/state')).json
    assert.deepEqual([state.seq, state.regions, state.alerts], [server.sirena.state.seq, {}, []])
    const aiu = await server.call('GET', '/v1/alerts/active.json', { token: readerKey })
    assert.deepEqual(aiu.json.alerts, [])
    const byOblast = await server.call('GET', '/v1/iot/active_air_raid_alerts_by_oblast.json', { token: readerKey })
    assert.equal(byOblast.json, 'N'.repeat(27))
    const ua = await server.call('GET', '/api/v3/alerts', { headers: { authorization: readerKey } })
    assert.deepEqual(ua.json, [])

    // Sirens in the live alert's oblast and in two regions the import covered.
    sirens = { vinnytsia: await siren(vinnytsia), zhytomyr: await siren(zhytomyr), kyivCity: await siren(kyivCity) }
    const live = await server.call('POST', '/api/v1/alerts', {
      token: server.adminToken,
      body: { type: 'air_raid', regions: [vinnytsia] },
    })
    assert.equal(live.status, 201, live.text)
    const liveId = live.json.alert.id
    const inVinnytsia = server.sirena.catalogue.regions.filter((r) => r.oblast === vinnytsia).map((r) => r.id)
    await until('the siren in the live alert’s oblast to be switched on', () => sirens.vinnytsia.length > 0)
    await new Promise((r) => setTimeout(r, 300))
    assert.deepEqual(
      sirens.vinnytsia.map((c) => [c.command, c.alertId]),
      sirens.vinnytsia.map(() => ['on', liveId]),
      'the siren in the live alert’s oblast is switched on for the live alert only',
    )
    assert.deepEqual([sirens.zhytomyr, sirens.kyivCity], [[], []], 'no siren in the imported regions sounds')

    // A device connecting now gets the retained state: the live alert's regions active, every other region calm.
    const led = await device()
    const retained = collect(led)
    await led.subscribeAsync(`${prefix}/regions/+/state`, { qos: 1 })
    await until('the retained state of every region', () => retained.length >= server.sirena.catalogue.size)
    const activeRegions = retained
      .filter((m) => JSON.parse(m.body).status !== 'none')
      .map((m) => m.topic.split('/').at(-2)!)
      .sort()
    assert.deepEqual(activeRegions, [...inVinnytsia].sort())

    // The history projection holds whole alerts only: none of the import is open, so no statistic counts one as
    // under way since 2022.
    const history = (await server.store.history({ regionIds: [vinnytsia, zhytomyr, kyivCity], limit: 100_000 })).filter(
      (i) => i.source === 'import:official',
    )
    assert.equal(history.length * 2, imported)
    assert.deepEqual(
      history.filter((i) => i.endedAt === null),
      [],
    )
  })

  test('running the import again completes it, and still nothing of it is live', async () => {
    const seqBefore = server.sirena.state.seq
    const run = await importHistory(file, dataDir, false)
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /official: 3000 rows; \d+ imported, 0 completed, \d+ already present, 0 not imported/)
    await until('the server to pick the rest of the import up', caughtUp)
    assert.ok(server.sirena.state.seq > seqBefore)
    const history = (await server.store.history({ regionIds: [vinnytsia, zhytomyr, kyivCity], limit: 100_000 })).filter(
      (i) => i.source === 'import:official',
    )
    assert.equal(history.length, days * 3)
    assert.ok(history.every((i) => i.endedAt !== null))
    // Imported alerts are history: each can still be read by id, as it ended.
    const one = await server.call('GET', `/api/v1/alerts/${history[0]!.alertId}`)
    assert.equal(one.status, 200)
    assert.deepEqual([one.json.alert.source, one.json.alert.endedAt], ['import:official', history[0]!.endedAt])

    const state = (await server.call('GET', '/api/v1/state')).json
    assert.equal(state.alerts.length, 1, 'the live alert only')
    assert.equal(state.alerts[0].source, 'operator')
    const ua = await server.call('GET', '/api/v3/alerts', { headers: { authorization: readerKey } })
    assert.equal(ua.json.length, 1)
    await new Promise((r) => setTimeout(r, 300))
    assert.deepEqual([sirens.zhytomyr, sirens.kyivCity], [[], []], 'the import switched no siren')
    assert.ok(
      sirens.vinnytsia.every((c) => c.command === 'on' && c.alertId === state.alerts[0].id),
      'the live alert’s siren hears of nothing but the live alert',
    )
    const id = state.alerts[0].id
    assert.equal((await server.call('POST', `/api/v1/alerts/${id}/end`, { token: server.adminToken })).status, 200)
  })
})
