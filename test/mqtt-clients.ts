import { execFile, spawnSync } from 'node:child_process'
import type { MqttClient } from 'mqtt'

/** Collects messages per topic so a test can wait for the n-th message on one topic. */
export function collector(client: MqttClient) {
  const byTopic = new Map<string, string[]>()
  client.on('message', (topic, payload) => {
    const list = byTopic.get(topic) ?? []
    list.push(payload.toString())
    byTopic.set(topic, list)
  })
  return {
    async next(topic: string, count: number, timeoutMs = 5000): Promise<string[]> {
      const deadline = Date.now() + timeoutMs
      while ((byTopic.get(topic)?.length ?? 0) < count) {
        if (Date.now() > deadline)
          throw new Error(`expected ${count} messages on ${topic}, got ${byTopic.get(topic)?.length ?? 0}`)
        await new Promise((r) => setTimeout(r, 20))
      }
      return byTopic.get(topic)!
    },
    count: (topic: string) => byTopic.get(topic)?.length ?? 0,
    all: () => [...byTopic.entries()],
  }
}

/**
 * Whether a command-line tool (mosquitto_pub, mosquitto, openssl) is installed. Under CI=true a missing one fails
 * the run: the tests that need it must not be skipped silently (`.ci/run` installs them).
 */
export function hasTool(name: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${name}`]).status === 0
  if (!found && process.env.CI === 'true') throw new Error(`${name} is not installed (CI requires it)`)
  return found
}

/** Runs Mosquitto's client tools (or another command) and collects what they print. */
export function run(
  cmd: string,
  args: string[],
  timeoutMs = 15_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr })
    })
  })
}

/** The QoS the broker granted each filter: 128 (0x80) where it refused it. mqtt.js rejects on any refusal. */
export async function granted(client: MqttClient, filters: string[]): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters)).map((g) => g.qos)
  } catch (err) {
    const packet = (err as { packet?: { granted?: number[] } }).packet
    if (!packet?.granted) throw err
    return packet.granted
  }
}
