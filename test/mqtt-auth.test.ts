import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { after, before, describe, test } from 'node:test'
import mqtt, { type MqttClient } from 'mqtt'
import { mqttChannel } from '../src/runtime/mqtt.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'
import { collector, granted, hasTool, run } from './mqtt-clients.ts'

const prefix = 'sirena'
const kyivUid = '31'
const stateTopic = `${prefix}/regions/${regions.kyivCity}/state`
const letterTopic = `${prefix}/oblasts/${kyivUid}/status`

/** What a fresh subscriber gets as the retained value of a topic, read with mosquitto_sub. */
async function retained(port: number, topic: string): Promise<string> {
  const r = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '-C', '1', '-W', '5'])
  assert.equal(r.code, 0, `mosquitto_sub: ${r.stderr}`)
  return r.stdout.trim()
}

const mqttServer = (env: Record<string, string> = {}) =>
  startTestServer({
    env,
    features: [
      mqttChannel({
        mqttHost: '127.0.0.1',
        mqttPort: 0,
        mqttTopicPrefix: prefix,
        mqttAnonymousRead: env.SIRENA_MQTT_ANONYMOUS_READ !== 'false',
      }),
    ],
  })

const portOf = async (s: TestServer) => Number(new URL((await s.call('GET', '/api/v1/sirens')).json.broker).port)

describe('the embedded broker: only Sirena writes state and siren commands', () => {
  let s: TestServer
  let port: number
  let url: string
  let officer: { token: string }
  let alertId: string
  let siren: { id: string; password: string; client: MqttClient; messages: ReturnType<typeof collector> }
  let otherSiren: { id: string; password: string }
  let display: { id: string; password: string }
  const hasMosquittoClients = hasTool('mosquitto_pub') && hasTool('mosquitto_sub')

  const addDevice = async (body: Record<string, unknown>) => {
    const r = await s.call('POST', '/api/v1/devices', { token: s.adminToken, body })
    assert.equal(r.status, 201, r.text)
    return { id: r.json.username as string, password: r.json.password as string }
  }

  before(async () => {
    s = await mqttServer()
    port = await portOf(s)
    url = `mqtt://127.0.0.1:${port}`
    officer = await s.addIssuer({ jurisdiction: [regions.kyivCity] })
    const kyivSiren = await addDevice({ kind: 'siren', name: 'Kyiv, Khreshchatyk', region: 'UA-30', id: 'kyiv-001' })
    otherSiren = await addDevice({ kind: 'siren', name: 'Kyiv, Podil', region: 'UA-30', id: 'kyiv-002' })
    display = await addDevice({ kind: 'display', name: 'LED map, school 5' })
    const client = await mqtt.connectAsync(url, {
      clientId: kyivSiren.id,
      username: kyivSiren.id,
      password: kyivSiren.password,
    })
    const messages = collector(client)
    await client.subscribeAsync(`${prefix}/sirens/kyiv-001/command`, { qos: 1 })
    siren = { ...kyivSiren, client, messages }
    const a = await s.call('POST', '/api/v1/alerts', {
      token: officer.token,
      body: { type: 'air_raid', regions: ['UA-30'] },
    })
    alertId = a.json.alert.id
    await messages.next(`${prefix}/sirens/kyiv-001/command`, 1)
  })
  after(async () => {
    await siren?.client.endAsync()
    await s?.close()
  })

  test('during a real alert, forged retained all-clears from mosquitto_pub and mqtt.js change nothing', async (t) => {
    if (!hasMosquittoClients) return t.skip('mosquitto-clients not installed')
    assert.equal(JSON.parse(await retained(port, stateTopic)).status, 'active')
    assert.equal(await retained(port, letterTopic), 'A')

    const pub = (args: string[]) => run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-q', '1', ...args])
    await pub(['-t', stateTopic, '-r', '-m', '{"status":"none"}'])
    await pub(['-t', letterTopic, '-r', '-m', 'N'])
    // With a display's and another siren's real credentials too: a device is not Sirena either.
    await pub(['-u', display.id, '-P', display.password, '-i', display.id, '-t', letterTopic, '-r', '-m', 'N'])
    await pub([
      '-u',
      otherSiren.id,
      '-P',
      otherSiren.password,
      '-i',
      otherSiren.id,
      '-t',
      stateTopic,
      '-r',
      '-m',
      '{"status":"none"}',
    ])
    const forger = await mqtt.connectAsync(url, { clientId: 'forger', reconnectPeriod: 0 })
    forger.on('error', () => {})
    const closed = new Promise((r) => forger.once('close', () => r('closed')))
    const acknowledged = forger
      .publishAsync(stateTopic, '{"status":"none"}', { retain: true, qos: 1 })
      .then(() => 'acknowledged')
    // A refused PUBLISH closes the connection: MQTT 3.1.1 has no way to say no to it.
    assert.equal(await Promise.race([closed, acknowledged.catch(() => 'failed')]), 'closed')

    assert.equal(JSON.parse(await retained(port, stateTopic)).status, 'active', 'the region state is still active')
    assert.equal(await retained(port, letterTopic), 'A', 'the oblast letter is still A')
    forger.end(true)
  })

  test('forged siren commands reach no siren', async (t) => {
    if (!hasMosquittoClients) return t.skip('mosquitto-clients not installed')
    const command = `${prefix}/sirens/kyiv-001/command`
    const before = siren.messages.count(command)
    const pub = (args: string[]) => run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-q', '1', ...args])
    await pub(['-t', command, '-m', '{"command":"on"}'])
    await pub(['-t', `${prefix}/regions/${regions.kyivCity}/siren`, '-m', '{"command":"on"}'])
    await pub([
      '-u',
      otherSiren.id,
      '-P',
      otherSiren.password,
      '-i',
      otherSiren.id,
      '-t',
      command,
      '-m',
      '{"command":"off"}',
    ])
    // A barrier: the all-clear makes Sirena send the next command; it must be the first the siren gets after the forgeries.
    await s.call('POST', `/api/v1/alerts/${alertId}/end`, { token: officer.token })
    const next = JSON.parse((await siren.messages.next(command, before + 1))[before]!)
    assert.equal(next.command, 'off')
    assert.equal(next.siren, 'kyiv-001')
    assert.equal(next.alertId, alertId)
  })

  test('anonymous clients read the public state but may not subscribe to commands or to everything', async (t) => {
    if (!hasMosquittoClients) return t.skip('mosquitto-clients not installed')
    const sub = (args: string[]) =>
      run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-C', '1', '-W', '3', ...args])
    const refused = await sub(['-t', `${prefix}/sirens/kyiv-001/command`])
    assert.match(refused.stderr, /denied/i)
    const everything = await mqtt.connectAsync(url, { reconnectPeriod: 0 })
    assert.deepEqual(
      await granted(everything, [`${prefix}/#`, '#', `${prefix}/regions/+/state`, letterTopic]),
      [128, 128, 0, 0],
    )
    await everything.endAsync()
    const display2 = await mqtt.connectAsync(url, {
      clientId: display.id,
      username: display.id,
      password: display.password,
    })
    assert.deepEqual(
      await granted(display2, [letterTopic, `${prefix}/sirens/+/command`]),
      [0, 128],
      'a display reads what anyone may',
    )
    await display2.endAsync()
  })

  test('a wrong password, a borrowed client id and a revoked device are refused at connect', async (t) => {
    if (!hasMosquittoClients) return t.skip('mosquitto-clients not installed')
    const bad = await run('mosquitto_pub', [
      ...['-h', '127.0.0.1', '-p', String(port), '-u', 'kyiv-002', '-P', 'guess', '-i', 'kyiv-002'],
      ...['-t', `${prefix}/sirens/kyiv-002/ack`, '-m', '{}'],
    ])
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, /bad user name or password|not authori[sz]ed/i)
    // An anonymous client taking a siren's client id would knock the siren off the broker (session takeover).
    await assert.rejects(mqtt.connectAsync(url, { clientId: 'kyiv-001', reconnectPeriod: 0 }), /Identifier rejected/i)
    assert.ok(siren.client.connected, 'the siren is still connected')

    const gone = await mqtt.connectAsync(url, {
      clientId: otherSiren.id,
      username: otherSiren.id,
      password: otherSiren.password,
      reconnectPeriod: 0,
    })
    const dropped = new Promise((r) => gone.once('close', () => r(undefined)))
    assert.equal((await s.call('DELETE', `/api/v1/devices/${otherSiren.id}`, { token: s.adminToken })).status, 200)
    await dropped
    await assert.rejects(
      mqtt.connectAsync(url, {
        clientId: otherSiren.id,
        username: otherSiren.id,
        password: otherSiren.password,
        reconnectPeriod: 0,
      }),
      /Bad username or password/i,
    )
    gone.end(true)
  })

  test('every refusal is counted in /metrics and audited, a flood as one line per minute', async () => {
    const flood = await mqtt.connectAsync(url, { reconnectPeriod: 0 })
    for (let i = 0; i < 50; i++) assert.deepEqual(await granted(flood, [`${prefix}/sirens/x${i}/command`]), [128])
    await flood.endAsync()
    const metrics = (await s.call('GET', '/metrics')).text
    const count = (labels: string) =>
      Number(new RegExp(`sirena_mqtt_refusals_total\\{${labels}\\} (\\d+)`).exec(metrics)?.[1] ?? 0)
    assert.ok(count('action="subscribe",reason="subscription_not_allowed"') >= 50)
    if (hasMosquittoClients) {
      assert.ok(count('action="publish",reason="topic_not_allowed"') >= 6)
      assert.ok(count('action="connect",reason="bad_credentials"') >= 2)
      assert.ok(count('action="connect",reason="client_id_mismatch"') >= 1)
    }
    const audit = (await s.call('GET', '/api/v1/audit?limit=1000', { token: s.adminToken })).json.entries as any[]
    const subscribes = audit.filter((e) => e.action === 'mqtt.subscribe')
    assert.ok(subscribes.length >= 1 && subscribes.length <= 3, `${subscribes.length} audit rows for 50+ refusals`)
    assert.ok(subscribes.every((e) => e.outcome === 'refused' && e.code === 'forbidden'))
    if (hasMosquittoClients) {
      const publishes = audit.filter((e) => e.action === 'mqtt.publish')
      assert.ok(publishes.some((e) => e.detail.topic === stateTopic && e.actor === null))
      assert.ok(publishes.some((e) => e.actor === 'kyiv-002'))
      assert.ok(audit.some((e) => e.action === 'mqtt.connect' && e.detail.username === 'kyiv-002'))
    }
  })
})

describe('devices: the admin API and the CLI', () => {
  let s: TestServer
  before(async () => {
    s = await mqttServer()
  })
  after(() => s?.close())

  test('only an admin manages devices, and the password is shown once and never listed', async () => {
    const operator = await s.addIssuer({ jurisdiction: [regions.kyivCity] })
    assert.equal((await s.call('GET', '/api/v1/devices', { token: operator.token })).status, 403)
    assert.equal(
      (await s.call('POST', '/api/v1/devices', { token: s.adminToken, body: { kind: 'siren', name: 'no region' } }))
        .status,
      400,
    )
    const added = await s.call('POST', '/api/v1/devices', {
      token: s.adminToken,
      body: { kind: 'siren', name: 'Kyiv', region: 'UA-30', drills: true },
    })
    assert.equal(added.status, 201)
    assert.equal(added.json.device.region, regions.kyivCity)
    assert.ok(added.json.password.length >= 40)
    const listed = (await s.call('GET', '/api/v1/devices', { token: s.adminToken })).text
    assert.ok(listed.includes(added.json.username))
    assert.ok(!listed.includes(added.json.password) && !listed.includes('passwordHash'))
  })

  test('`sirena device add` prints credentials a running server accepts; `revoke` locks the device out', async (t) => {
    if (!hasTool('mosquitto_sub')) return t.skip('mosquitto-clients not installed')
    const port = await portOf(s)
    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [new URL('../bin/sirena.mjs', import.meta.url).pathname, ...args, '--data', s.dataDir],
          { encoding: 'utf8', timeout: 30_000 },
          (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
        ),
      )
    const added = await cli(['device', 'add', '--kind', 'siren', '--region', 'UA-46', '--id', 'lviv-cli-1'])
    assert.equal(added.code, 0, added.stderr)
    const { username, password, region } = JSON.parse(added.stdout)
    assert.equal(username, 'lviv-cli-1')
    assert.equal(region, regions.lvivOblast)
    assert.match((await cli(['device', 'list'])).stdout, /lviv-cli-1\s+siren/)
    const sub = ['-h', '127.0.0.1', '-p', String(port), '-u', username, '-P', password, '-i', username]
    const ok = await run('mosquitto_sub', [...sub, '-t', `${prefix}/sirens/lviv-cli-1/command`, '-E'])
    assert.equal(ok.code, 0, ok.stderr)
    assert.equal((await cli(['device', 'revoke', 'lviv-cli-1'])).code, 0)
    // The server re-reads a device at most a few seconds after another process changed it.
    const deadline = Date.now() + 10_000
    let refused = false
    while (!refused && Date.now() < deadline) {
      const r = await run('mosquitto_sub', [...sub, '-t', `${prefix}/sirens/lviv-cli-1/command`, '-E'])
      refused = r.code !== 0
      if (!refused) await new Promise((r) => setTimeout(r, 500))
    }
    assert.ok(refused, 'a revoked device cannot connect')
  })

  test('with anonymous reads off, a client without credentials cannot connect at all', async () => {
    const closed = await mqttServer({ SIRENA_MQTT_ANONYMOUS_READ: 'false' })
    try {
      const url = `mqtt://127.0.0.1:${await portOf(closed)}`
      await assert.rejects(mqtt.connectAsync(url, { reconnectPeriod: 0 }), /Not authorized/i)
      const d = (
        await closed.call('POST', '/api/v1/devices', {
          token: closed.adminToken,
          body: { kind: 'display', name: 'panel' },
        })
      ).json
      const panel = await mqtt.connectAsync(url, { clientId: d.username, username: d.username, password: d.password })
      const got = collector(panel)
      const [g] = await panel.subscribeAsync(letterTopic)
      assert.equal(g!.qos, 0)
      assert.equal((await got.next(letterTopic, 1))[0], 'N')
      await panel.endAsync()
    } finally {
      await closed.close()
    }
  })
})
