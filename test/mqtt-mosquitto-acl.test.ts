import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import mqtt, { type MqttClient } from 'mqtt'
import { mosquittoAcl } from '../src/delivery/mqtt/mosquitto-acl.ts'
import { mqttChannel } from '../src/runtime/mqtt.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'
import { collector, hasTool, run } from './mqtt-clients.ts'

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })

async function untilReachable(port: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const c = await mqtt
      .connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 500 })
      .catch(() => null)
    if (c) return c.endAsync()
    if (Date.now() > deadline) throw new Error(`private Mosquitto did not start on ${port}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/**
 * The same rules on an external broker: a PRIVATE Mosquitto (own port, temp dir) started with a password file made by
 * mosquitto_passwd and the ACL that `sirena device mosquitto-acl` prints. Sirena connects with its own credentials.
 */
describe('an external Mosquitto with a password file and the generated ACL', () => {
  const prefix = 'sirena'
  let dir: string
  let broker: ChildProcess
  let port: number
  let s: TestServer
  let siren: { id: string; password: string; client: MqttClient; got: ReturnType<typeof collector> }
  let alertId: string
  let officer: { token: string }
  let skip = false
  const stateTopic = `${prefix}/regions/${regions.kyivCity}/state`
  const letterTopic = `${prefix}/oblasts/31/status`
  const pub = (args: string[]) => run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-q', '1', ...args])
  const retained = async (topic: string) => {
    const r = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '-C', '1', '-W', '5'])
    assert.equal(r.code, 0, r.stderr)
    return r.stdout.trim()
  }

  before(async () => {
    if (!(hasTool('mosquitto') && hasTool('mosquitto_passwd') && hasTool('mosquitto_pub'))) {
      skip = true
      return
    }
    dir = mkdtempSync(join(tmpdir(), 'sirena-mosquitto-'))
    port = await freePort()
    const sirenaPassword = 'sirena-edge-secret-1'
    const made = await run('mosquitto_passwd', ['-c', '-b', join(dir, 'passwd'), 'sirena', sirenaPassword])
    assert.equal(made.code, 0, made.stderr)
    writeFileSync(join(dir, 'acl'), mosquittoAcl(prefix, 'sirena'))
    writeFileSync(
      join(dir, 'mosquitto.conf'),
      [
        // Run as root, Mosquitto would switch to its own user, which cannot reach a private temp directory.
        ...(process.getuid?.() === 0 ? ['user root'] : []),
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        `password_file ${join(dir, 'passwd')}`,
        `acl_file ${join(dir, 'acl')}`,
        'persistence false',
        'log_dest stderr',
        '',
      ].join('\n'),
    )
    broker = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' })
    await untilReachable(port)

    s = await startTestServer({
      features: [
        mqttChannel({
          mqttHost: '127.0.0.1',
          mqttPort: 0,
          mqttUrl: `mqtt://sirena:${sirenaPassword}@127.0.0.1:${port}`,
          mqttTopicPrefix: prefix,
        }),
      ],
    })
    const d = (
      await s.call('POST', '/api/v1/devices', {
        token: s.adminToken,
        body: { kind: 'siren', name: 'Kyiv', region: 'UA-30', id: 'kyiv-001' },
      })
    ).json
    // Mosquitto keeps its own password file: the device's password goes there too (only its hash, as in Sirena).
    assert.equal((await run('mosquitto_passwd', ['-b', join(dir, 'passwd'), d.username, d.password])).code, 0)
    broker.kill('SIGHUP') // re-read the password file
    await new Promise((r) => setTimeout(r, 300))
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: d.username,
      username: d.username,
      password: d.password,
    })
    const got = collector(client)
    await client.subscribeAsync(`${prefix}/sirens/kyiv-001/command`, { qos: 1 })
    siren = { id: d.username, password: d.password, client, got }
    officer = await s.addIssuer({ jurisdiction: [regions.kyivCity] })
    alertId = (
      await s.call('POST', '/api/v1/alerts', { token: officer.token, body: { type: 'air_raid', regions: ['UA-30'] } })
    ).json.alert.id
    await got.next(`${prefix}/sirens/kyiv-001/command`, 1)
  })
  after(async () => {
    await siren?.client.endAsync()
    await s?.close()
    if (broker && broker.exitCode === null) {
      const exited = new Promise((r) => broker.once('exit', r))
      broker.kill('SIGTERM')
      await exited
    }
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('Sirena publishes with its credentials; anonymous forged all-clears change no retained value', async (t) => {
    if (skip) return t.skip('mosquitto not installed')
    assert.equal(JSON.parse(await retained(stateTopic)).status, 'active')
    assert.equal(await retained(letterTopic), 'A')
    await pub(['-t', stateTopic, '-r', '-m', '{"status":"none"}'])
    await pub(['-t', letterTopic, '-r', '-m', 'N'])
    await pub(['-u', siren.id, '-P', siren.password, '-i', 'kyiv-001-b', '-t', letterTopic, '-r', '-m', 'N'])
    const forger = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`)
    await forger.publishAsync(stateTopic, '{"status":"none"}', { retain: true, qos: 1 }).catch(() => {})
    await forger.endAsync()
    assert.equal(JSON.parse(await retained(stateTopic)).status, 'active')
    assert.equal(await retained(letterTopic), 'A')
  })

  test('a forged command reaches no siren; the siren’s own acknowledgement reaches Sirena', async (t) => {
    if (skip) return t.skip('mosquitto not installed')
    const command = `${prefix}/sirens/kyiv-001/command`
    const before = siren.got.count(command)
    await pub(['-t', command, '-m', '{"command":"on"}'])
    await pub(['-u', 'sirena', '-P', 'wrong', '-t', command, '-m', '{"command":"on"}'])
    await siren.client.publishAsync(`${prefix}/sirens/kyiv-002/ack`, '{"seq":1,"state":"sounding"}', { qos: 1 })
    await siren.client.publishAsync(`${prefix}/sirens/kyiv-001/ack`, '{"seq":1,"state":"sounding"}', { qos: 1 })
    await s.call('POST', `/api/v1/alerts/${alertId}/end`, { token: officer.token })
    const next = JSON.parse((await siren.got.next(command, before + 1))[before]!)
    assert.equal(next.command, 'off', 'the first command after the forgeries is Sirena’s')
    assert.ok(next.sig)
    const sirens = (await s.call('GET', '/api/v1/sirens')).json.sirens as any[]
    assert.ok(sirens.some((x) => x.id === 'kyiv-001'))
    assert.ok(!sirens.some((x) => x.id === 'kyiv-002'), 'a siren cannot report for another')
  })

  test('a wrong password is refused, and anonymous clients cannot read commands', async (t) => {
    if (skip) return t.skip('mosquitto not installed')
    const bad = await pub([
      '-u',
      'kyiv-001',
      '-P',
      'guess',
      '-i',
      'x',
      '-t',
      `${prefix}/sirens/kyiv-001/ack`,
      '-m',
      '{}',
    ])
    assert.notEqual(bad.code, 0)
    const peeker = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`)
    const peeked = collector(peeker)
    await peeker.subscribeAsync(`${prefix}/sirens/+/command`, { qos: 1 })
    const command = `${prefix}/sirens/kyiv-001/command`
    const before = siren.got.count(command)
    const again = await s.call('POST', '/api/v1/alerts', {
      token: officer.token,
      body: { type: 'air_raid', regions: ['UA-30'] },
    })
    assert.equal(again.status, 201)
    await siren.got.next(command, before + 1) // the siren got it, so the broker has delivered it to whoever may read it
    await peeker.endAsync()
    assert.deepEqual(peeked.all(), [], 'an anonymous subscriber saw no command')
  })
})
