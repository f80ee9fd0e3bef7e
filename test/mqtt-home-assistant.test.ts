import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import mqtt from 'mqtt'
import { mqttChannel } from '../src/runtime/mqtt.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'
import { collector, granted } from './mqtt-clients.ts'

/**
 * The fields Home Assistant documents for an MQTT binary sensor (https://www.home-assistant.io/integrations/binary_sensor.mqtt/,
 * "Configuration Variables") and for its `device` map. A config with any other key is not one Home Assistant reads.
 */
const documented = new Set([
  ...['availability', 'availability_mode', 'availability_template', 'availability_topic', 'default_entity_id'],
  ...['device', 'device_class', 'enabled_by_default', 'encoding', 'entity_category', 'entity_picture', 'expire_after'],
  ...['force_update', 'icon', 'json_attributes_template', 'json_attributes_topic', 'name', 'object_id', 'off_delay'],
  ...['payload_available', 'payload_not_available', 'payload_off', 'payload_on', 'platform', 'qos', 'state_topic'],
  ...['unique_id', 'value_template'],
])
const documentedDevice = new Set([
  ...['configuration_url', 'connections', 'hw_version', 'identifiers', 'manufacturer', 'model', 'model_id', 'name'],
  ...['serial_number', 'suggested_area', 'sw_version', 'via_device'],
])
const binarySensorDeviceClasses = ['problem', 'safety', 'sound', 'running']

describe('Home Assistant MQTT discovery', () => {
  const servers: TestServer[] = []
  after(async () => {
    for (const s of servers) await s.close()
  })
  const start = async (haRegions?: string) => {
    const s = await startTestServer({
      features: [
        mqttChannel({
          mqttHost: '127.0.0.1',
          mqttPort: 0,
          mqttTopicPrefix: 'sirena',
          mqttHomeAssistant: true,
          mqttHomeAssistantRegions: haRegions,
        }),
      ],
    })
    servers.push(s)
    const client = await mqtt.connectAsync((await s.call('GET', '/api/v1/sirens')).json.broker)
    const got = collector(client)
    assert.deepEqual(await granted(client, ['homeassistant/#']), [0], 'anyone may read the discovery topics')
    return { s, client, got }
  }
  const configs = (got: ReturnType<typeof collector>) =>
    got.all().filter(([t]) => t.startsWith('homeassistant/binary_sensor/') && t.endsWith('/config'))

  test('by default a binary_sensor per oblast-level unit and alert type, with documented fields only', async () => {
    const { s, client, got } = await start()
    const deadline = Date.now() + 5000
    while (configs(got).length < 27 * 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    const all = configs(got)
    assert.equal(all.length, 27 * 5)
    for (const [, [payload]] of all) {
      const c = JSON.parse(payload!)
      for (const k of Object.keys(c)) assert.ok(documented.has(k), `undocumented field ${k}`)
      for (const k of Object.keys(c.device)) assert.ok(documentedDevice.has(k), `undocumented device field ${k}`)
      assert.ok(binarySensorDeviceClasses.includes(c.device_class))
      assert.match(c.state_topic, /^sirena\/regions\/UA\d+\/state$/)
    }
    const kyiv = JSON.parse(
      all.find(([t]) => t === `homeassistant/binary_sensor/sirena_${regions.kyivCity}/air_raid/config`)![1][0]!,
    )
    assert.equal(kyiv.state_topic, `sirena/regions/${regions.kyivCity}/state`)
    assert.equal(kyiv.value_template, "{{ 'ON' if 'air_raid' in value_json.types else 'OFF' }}")
    assert.equal(kyiv.unique_id, `sirena_${regions.kyivCity}_air_raid`)
    await client.endAsync()
    // Only Sirena writes there.
    const forger = await mqtt.connectAsync((await s.call('GET', '/api/v1/sirens')).json.broker, { reconnectPeriod: 0 })
    const closed = new Promise((r) => forger.once('close', () => r('closed')))
    forger.publish('homeassistant/binary_sensor/sirena_x/air_raid/config', '{}', { qos: 1, retain: true })
    assert.equal(await closed, 'closed')
  })

  test('a list of regions limits the sensors to those', async () => {
    const { client, got } = await start('UA-30, UA-46')
    await got.next(`homeassistant/binary_sensor/sirena_${regions.lvivOblast}/nuclear/config`, 1)
    const topics = configs(got).map(([t]) => t.split('/')[2])
    assert.deepEqual([...new Set(topics)].sort(), [`sirena_${regions.kyivCity}`, `sirena_${regions.lvivOblast}`].sort())
    assert.equal(topics.length, 10)
    await client.endAsync()
  })
})
