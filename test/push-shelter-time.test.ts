import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { loadConfig } from '../src/config.ts'
import { threatsFeature } from '../src/runtime/features.ts'
import { droneTowardsKyiv } from '../src/testdata/drone-report.ts'
import { regions } from '../src/testdata/harness.ts'
import { FakeBrowser, FakePushService } from '../src/web-server/testdata/fake-push-service.ts'
import { startWebServer, type WebTestServer } from '../src/web-server/testdata/web-server.ts'

const drone = droneTowardsKyiv('push-d1')

describe('a push for an alert that threat tracks raised', () => {
  let server: WebTestServer
  let pushService: FakePushService

  before(async () => {
    pushService = await new FakePushService().start()
    const config = loadConfig({ SIRENA_TRACK_AUTO_OBLASTS: 'UA-32' })
    server = await startWebServer({ alongside: [threatsFeature(config, { tickMs: 200 })] })
  })
  after(async () => {
    await server?.close()
    await pushService?.close()
  })

  test('tells the resident the clock time to be in shelter by, and carries it for apps', async () => {
    const uk = new FakeBrowser(`${pushService.url}/push/uk`)
    const en = new FakeBrowser(`${pushService.url}/push/en`)
    for (const [b, lang] of [
      [uk, 'uk'],
      [en, 'en'],
    ] as const) {
      const res = await server.call('POST', '/api/v1/push/subscriptions', {
        body: { subscription: b.subscription(), region: regions.kyivOblast, lang },
      })
      assert.equal(res.status, 201, res.text)
    }
    const upstream = (await server.addIssuer({ role: 'upstream', jurisdiction: [regions.kyivOblast] })).token
    const res = await server.call('POST', '/api/v1/threats/tracks', { token: upstream, body: { reports: [drone] } })
    assert.equal(res.status, 200, res.text)
    const alert = res.json.alerts[0] as { threatWindow: { onset: string } }
    assert.ok(alert?.threatWindow, res.text)

    await pushService.waitFor(2)
    const byPath = new Map(pushService.received.map((p) => [p.path, p.body]))
    const ukPush = uk.decrypt(byPath.get('/push/uk')!) as { body: string; shelterBy?: string }
    const enPush = en.decrypt(byPath.get('/push/en')!) as { body: string; shelterBy?: string }
    for (const p of [ukPush, enPush]) assert.equal(p.shelterBy, alert.threatWindow.onset)
    const kyivClock = new Date(alert.threatWindow.onset).toLocaleTimeString('en-GB', {
      hour: '2-digit',
      minute: '2-digit',
      timeZone: 'Europe/Kyiv',
    })
    assert.ok(enPush.body.startsWith(`Be in shelter by ${kyivClock} (Kyiv time).`), enPush.body)
    assert.ok(ukPush.body.startsWith(`Будьте в укритті до ${kyivClock}`), ukPush.body)
  })
})
