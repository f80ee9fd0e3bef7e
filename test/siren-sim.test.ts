import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import mqtt, { type MqttClient } from 'mqtt'
import { privateKeyFrom, signCommand } from '../src/delivery/mqtt/siren-command.ts'
import { mqttChannel } from '../src/runtime/mqtt.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'
import { collector } from './mqtt-clients.ts'

const reachable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })

/** Waits until `check` returns something truthy, polling; fails after `timeoutMs`. */
async function until<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v) return v as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * The reference siren, `sirena siren-sim`, as a child process, on a broker the test can also write to (the shared
 * Mosquitto with no ACL, which is the point: the signature protects the siren whatever broker carries the command).
 */
describe('sirena siren-sim: signed commands over any broker', () => {
  const prefix = `sirena-sim-${process.pid}-${Date.now().toString(36)}`
  const sirenId = `kyiv-sim-${process.pid}`
  let s: TestServer
  let sim: ChildProcess
  const events: Array<Record<string, any>> = []
  let spy: MqttClient
  let spied: ReturnType<typeof collector>
  let skip = false
  const command = `${prefix}/sirens/${sirenId}/command`

  before(async () => {
    if (!(await reachable(1883))) {
      if (process.env.CI === 'true') throw new Error('Mosquitto is not running on 127.0.0.1:1883 (CI requires it)')
      skip = true
      return
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'sirena-sim-'))
    s = await startTestServer({
      dataDir,
      features: [
        mqttChannel({
          mqttHost: '127.0.0.1',
          mqttPort: 0,
          mqttUrl: 'mqtt://127.0.0.1:1883',
          mqttTopicPrefix: prefix,
          data: dataDir,
          mqttCommandTtlSeconds: 30,
        }),
      ],
    })
    const added = await s.call('POST', '/api/v1/devices', {
      token: s.adminToken,
      body: { kind: 'siren', name: 'Kyiv', region: 'UA-30', id: sirenId },
    })
    spy = await mqtt.connectAsync('mqtt://127.0.0.1:1883')
    spied = collector(spy)
    await spy.subscribeAsync([command, `${prefix}/sirens/${sirenId}/health`], { qos: 1 })
    sim = spawn(
      process.execPath,
      [
        new URL('../bin/sirena.mjs', import.meta.url).pathname,
        ...['siren-sim', '--id', sirenId, '--region', 'UA-30', '--broker', 'mqtt://127.0.0.1:1883'],
        ...['--url', s.url, '--prefix', prefix, '--heartbeat-ms', '300'],
      ],
      { env: { ...process.env, SIRENA_DEVICE_PASSWORD: added.json.password }, stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let buffered = ''
    sim.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) if (line.trim()) events.push(JSON.parse(line))
    })
    await until('the siren to come online', () => events.find((e) => e.event === 'online'), 60_000)
  })
  after(async () => {
    if (sim && sim.exitCode === null) sim.kill('SIGKILL')
    if (spy) {
      // Clear this run's retained messages from the shared broker.
      for (const kind of ['health', 'status']) spy.publish(`${prefix}/sirens/${sirenId}/${kind}`, '', { retain: true })
      await spy.endAsync()
    }
    await s?.close()
  })

  test('the signing key is kept in the data directory for its owner only, and its public half is published', async (t) => {
    if (skip) return t.skip('no broker')
    const file = join(s.dataDir, 'siren-signing-key.pem')
    assert.equal(statSync(file).mode & 0o777, 0o600)
    const key = (await s.call('GET', '/api/v1/sirens/key')).json
    assert.equal(key.algorithm, 'Ed25519')
    assert.match(key.publicKeyPem, /BEGIN PUBLIC KEY/)
  })

  test('the siren is told the current state when it comes online, and sounds and acknowledges a real alert', async (t) => {
    if (skip) return t.skip('no broker')
    const first = await until('the command sent on connect', () => events.find((e) => e.event === 'command'))
    assert.equal(first.command, 'off')
    const officer = await s.addIssuer({ jurisdiction: [regions.kyivCity] })
    const a = await s.call('POST', '/api/v1/alerts', {
      token: officer.token,
      body: { type: 'air_raid', regions: ['UA-30'] },
    })
    const on = await until('the on command', () => events.find((e) => e.event === 'command' && e.command === 'on'))
    assert.equal(on.alertId, a.json.alert.id)
    const listed = await until('the acknowledgement', async () => {
      const sirens = (await s.call('GET', '/api/v1/sirens')).json.sirens as any[]
      return sirens.find((x) => x.id === sirenId && x.lastAck?.state === 'sounding' && x.connection?.online)
    })
    assert.equal(listed.lastAck.seq, on.seq)
    assert.equal(listed.health.ok, true)
    await spied.next(`${prefix}/sirens/${sirenId}/health`, 3)
  })

  test('replayed, altered, expired and misaddressed commands are rejected; a fresh signed one is obeyed', async (t) => {
    if (skip) return t.skip('no broker')
    const genuine = JSON.parse((await spied.next(command, 2)).at(-1)!)
    assert.equal(genuine.command, 'on')
    const rejected = (reason: string) => () => events.find((e) => e.event === 'rejected' && e.reason === reason)
    await spy.publishAsync(command, JSON.stringify(genuine), { qos: 1 })
    await until('the replay to be rejected', rejected('replay'))
    await spy.publishAsync(command, JSON.stringify({ ...genuine, command: 'off', seq: genuine.seq + 1 }), { qos: 1 })
    await until('the altered command to be rejected', rejected('bad_signature'))
    await spy.publishAsync(command, '{"command":"off"}', { qos: 1 })
    await until('the unsigned command to be rejected', rejected('malformed'))

    // Commands signed with Sirena's own key (read from its data directory), to show the key is not what fails.
    const key = privateKeyFrom(readFileSync(join(s.dataDir, 'siren-signing-key.pem'), 'utf8'))
    const base = { ...genuine, sig: undefined, command: 'off' as const }
    const past = new Date(Date.now() - 60_000).toISOString()
    const expired = signCommand({ ...base, seq: genuine.seq + 10, expiresAt: past }, key)
    await spy.publishAsync(command, JSON.stringify(expired), { qos: 1 })
    await until('the expired command to be rejected', rejected('expired'))
    const elsewhere = signCommand({ ...base, seq: genuine.seq + 11, siren: 'kyiv-other' }, key)
    await spy.publishAsync(command, JSON.stringify(elsewhere), { qos: 1 })
    await until('the misaddressed command to be rejected', rejected('wrong_siren'))
    assert.ok(
      !events.some((e) => e.event === 'command' && e.seq > genuine.seq),
      'nothing the siren rejected switched it',
    )
    const fresh = signCommand({ ...base, seq: genuine.seq + 12 }, key)
    await spy.publishAsync(command, JSON.stringify(fresh), { qos: 1 })
    await until('the fresh command', () => events.find((e) => e.event === 'command' && e.seq === fresh.seq))
  })

  test('a siren that dies is reported offline by its Last Will', async (t) => {
    if (skip) return t.skip('no broker')
    sim.kill('SIGKILL')
    await until('the Last Will', async () => {
      const sirens = (await s.call('GET', '/api/v1/sirens')).json.sirens as any[]
      return sirens.find((x) => x.id === sirenId && x.connection?.online === false)
    })
  })
})
