import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { loadConfig } from '../src/config.ts'
import { outboxChannels } from '../src/runtime/channels.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'
import { WebhookReceiver } from './channels-webhook-receiver.ts'

/** Fast retries so that a test sees several attempts in well under a second. */
const fastRetries = {
  SIRENA_CHANNEL_RETRY_BASE_MS: '20',
  SIRENA_CHANNEL_RETRY_MAX_MS: '100',
  SIRENA_CHANNEL_FAILING_AFTER_ATTEMPTS: '3',
}

async function startServer(env: Record<string, string>, dataDir = mkdtempSync(join(tmpdir(), 'sirena-webhooks-'))) {
  const config = loadConfig({ ...fastRetries, ...env }, { data: dataDir })
  // The retry settings are the runtime's: its one outbox delivers every channel.
  const s = await startTestServer({ features: [outboxChannels(config)], dataDir, env: { ...fastRetries, ...env } })
  return { s, dataDir }
}

const until = async (what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 8000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('native webhooks', () => {
  let s: TestServer
  let dataDir: string
  let receiver: WebhookReceiver
  let officer: string
  let reader: { id: string; token: string }

  const subscribe = async (hook: string, body: Record<string, unknown> = {}, token = reader.token) => {
    const res = await s.call('POST', '/api/v1/webhooks', { token, body: { url: receiver.hookUrl(hook), ...body } })
    assert.equal(res.status, 201, res.text)
    receiver.trust(hook, res.json.secret)
    return res.json
  }
  const issue = async (region: string, status = 'Actual') => {
    const res = await s.call('POST', '/api/v1/alerts', {
      token: officer,
      body: { type: 'air_raid', regions: [region], status },
    })
    assert.equal(res.status, 201, res.text)
    return res.json.alert.id as string
  }
  const end = async (id: string) =>
    assert.equal((await s.call('POST', `/api/v1/alerts/${id}/end`, { token: officer })).status, 200)

  before(async () => {
    ;({ s, dataDir } = await startServer({ SIRENA_WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }))
    receiver = await new WebhookReceiver().start()
    officer = (await s.addIssuer({ jurisdiction: [regions.kyivCity, regions.lvivOblast] })).token
    reader = await s.addIssuer({ role: 'reader', jurisdiction: [] })
  })
  after(async () => {
    await s.close()
    await receiver.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  test('a reader key subscribes and gets a Standard Webhooks secret once', async () => {
    const created = await subscribe('created', { regions: ['UA-30'] })
    assert.match(created.secret, /^whsec_[A-Za-z0-9+/]{32}$/)
    assert.equal(created.webhook.url, receiver.hookUrl('created'))
    assert.deepEqual(created.webhook.regions, [regions.kyivCity], 'regions are stored as KATOTTG codes')
    assert.equal(created.webhook.includeExercises, false)
    assert.equal(created.webhook.state, 'ok')
    const listed = await s.call('GET', '/api/v1/webhooks', { token: reader.token })
    const mine = listed.json.webhooks.find((w: { id: string }) => w.id === created.webhook.id)
    assert.ok(mine)
    assert.ok(!('secret' in mine) && !listed.text.includes(created.secret), 'the secret is never shown again')
  })

  test('alerts for the subscribed regions arrive signed, in order, each with its own webhook-id', async () => {
    await subscribe('kyiv', { regions: [regions.kyivCity] })
    const id = await issue(regions.kyivCity)
    await issue(regions.lvivOblast)
    await end(id)
    const got = await receiver.waitFor('kyiv', 2)
    await new Promise((r) => setTimeout(r, 100))
    assert.deepEqual(
      receiver.for('kyiv').map((d) => d.payload.type),
      ['alert.started', 'alert.ended'],
      'the Lviv alert is not for this subscription',
    )
    const [started, ended] = got
    assert.ok(started!.payload.seq < ended!.payload.seq)
    assert.equal(started!.id, `evt_${started!.payload.seq}_${started!.payload.hash.slice(0, 16)}`)
    assert.notEqual(started!.id, ended!.id)
    assert.equal(started!.payload.status, 'Actual')
    assert.equal(started!.payload.alert.id, id)
    assert.equal(started!.payload.alert.active, true, 'the alert as it stood at the event, not as it stands now')
    assert.deepEqual(started!.payload.regions, [regions.kyivCity])
    assert.equal(ended!.payload.alert.endReason, 'all_clear')
    assert.deepEqual(ended!.payload.regions, [regions.kyivCity], 'the all-clear names the regions it clears')
    assert.deepEqual(receiver.rejectedSignatures, [])
  })

  test('a subscription to an oblast hears alerts on a city inside it', async () => {
    await subscribe('lviv-oblast', { regions: [regions.lvivOblast], types: ['alert.started'] })
    await issue('UA46060250000025047')
    const [d] = await receiver.waitFor('lviv-oblast', 1)
    assert.deepEqual(d!.payload.regions, ['UA46060250000025047'])
  })

  test('exercises reach only subscriptions that opted in, marked by status', async () => {
    await subscribe('real-only', { types: ['alert.started'] })
    await subscribe('drills', { types: ['alert.started'], includeExercises: true })
    await issue(regions.kyivCity, 'Exercise')
    const [drill] = await receiver.waitFor('drills', 1)
    assert.equal(drill!.payload.status, 'Exercise')
    assert.equal(drill!.payload.alert.status, 'Exercise')
    const real = await issue(regions.kyivCity)
    await receiver.waitFor('real-only', 1)
    await receiver.waitFor('drills', 2)
    assert.deepEqual(
      receiver.for('real-only').map((d) => d.payload.alert.id),
      [real],
      'the exercise never reached the subscription that did not ask for it',
    )
  })

  test('a receiver that fails gets the same message again until it acknowledges, and later ones wait', async () => {
    const hook = 'flaky'
    await subscribe(hook, { types: ['notice.published'] })
    receiver.failNext.set(hook, 3)
    for (const n of [1, 2]) {
      const res = await s.call('POST', '/api/v1/notices', {
        token: officer,
        body: { regions: [regions.kyivCity], text: { uk: `Повідомлення ${n}`, en: `Notice ${n}` } },
      })
      assert.equal(res.status, 201, res.text)
    }
    const got = await receiver.waitFor(hook, 2)
    assert.deepEqual(
      got.map((d) => d.payload.payload.notice.text.en),
      ['Notice 1', 'Notice 2'],
    )
    const attempts = receiver.attempts.filter((a) => a.hook === hook)
    assert.deepEqual(
      attempts.map((a) => a.id),
      [got[0]!.id, got[0]!.id, got[0]!.id, got[0]!.id, got[1]!.id],
      'three failures, then the same webhook-id succeeds, then the next message',
    )
  })

  test('a receiver that is down is reported as failing to admins, and recovers', async () => {
    const hook = 'down'
    const created = await subscribe(hook, { types: ['notice.published'] })
    receiver.failNext.set(hook, 1_000)
    await s.call('POST', '/api/v1/notices', {
      token: officer,
      body: { regions: [regions.lvivOblast], text: { uk: 'Працює ППО', en: 'Air defence' } },
    })
    const targetId = `webhook:${created.webhook.id}`
    await until('failing', async () => {
      const res = await s.call('GET', '/api/v1/channels', { token: s.adminToken })
      return res.json.targets.find((t: { targetId: string }) => t.targetId === targetId)?.state === 'failing'
    })
    const view = (await s.call('GET', `/api/v1/webhooks/${created.webhook.id}`, { token: reader.token })).json.webhook
    assert.equal(view.state, 'failing')
    assert.equal(view.delivery.lastError, 'HTTP 503')
    assert.ok(view.delivery.attempts >= 3)
    const channels = await s.call('GET', '/api/v1/channels', { token: s.adminToken })
    const target = channels.json.targets.find((t: { targetId: string }) => t.targetId === targetId)
    assert.ok(target.lag >= 1)
    assert.equal(target.kind, 'webhook')
    assert.equal(target.description, receiver.url, 'the admin view shows the origin, not the full URL')
    receiver.failNext.set(hook, 0)
    await receiver.waitFor(hook, 1)
    await until('ok again', async () => {
      const v = await s.call('GET', `/api/v1/webhooks/${created.webhook.id}`, { token: reader.token })
      return v.json.webhook.state === 'ok'
    })
  })

  test('only admins see every delivery target', async () => {
    const res = await s.call('GET', '/api/v1/channels', { token: reader.token })
    assert.equal(res.status, 403)
    assert.equal(res.json.code, 'forbidden')
  })

  test('a receiver that answers 410 Gone disables its subscription', async () => {
    const created = await subscribe('gone', { types: ['notice.published'] })
    receiver.answer = { status: 410 }
    try {
      await s.call('POST', '/api/v1/notices', {
        token: officer,
        body: { regions: [regions.kyivCity], text: { uk: 'Тест', en: 'Test' } },
      })
      await until('disabled', async () => {
        const v = await s.call('GET', `/api/v1/webhooks/${created.webhook.id}`, { token: reader.token })
        return v.json.webhook.state === 'disabled'
      })
    } finally {
      receiver.answer = null
    }
    const view = (await s.call('GET', `/api/v1/webhooks/${created.webhook.id}`, { token: reader.token })).json.webhook
    assert.match(view.disabledReason, /410/)
    assert.equal(view.delivery, null)
  })

  test('an admin limited to a region neither sees nor deletes another issuer’s webhook; a nationwide admin does both', async () => {
    const created = await subscribe('limited-admin', { types: ['alert.started'] })
    const id = created.webhook.id
    const oblastAdmin = await s.addIssuer({ role: 'admin', jurisdiction: [regions.kyivOblast] })
    const get = await s.call('GET', `/api/v1/webhooks/${id}`, { token: oblastAdmin.token })
    assert.equal(get.status, 404, get.text)
    const del = await s.call('DELETE', `/api/v1/webhooks/${id}`, { token: oblastAdmin.token })
    assert.equal(del.status, 404, del.text)
    assert.equal(del.json.code, 'not_found')
    const list = await s.call('GET', '/api/v1/webhooks', { token: oblastAdmin.token })
    assert.deepEqual(list.json.webhooks, [])
    assert.equal((await s.call('GET', '/api/v1/channels', { token: oblastAdmin.token })).status, 403)
    assert.equal((await s.call('GET', `/api/v1/webhooks/${id}`, { token: reader.token })).status, 200, 'still there')
    assert.equal((await s.call('GET', `/api/v1/webhooks/${id}`, { token: s.adminToken })).status, 200)
    assert.equal((await s.call('DELETE', `/api/v1/webhooks/${id}`, { token: s.adminToken })).status, 204)
  })

  test('a deleted subscription gets nothing more, and only its owner can delete it', async () => {
    const created = await subscribe('deleted', { types: ['alert.started'] })
    const other = await s.addIssuer({ role: 'reader', jurisdiction: [] })
    const stranger = await s.call('DELETE', `/api/v1/webhooks/${created.webhook.id}`, { token: other.token })
    assert.equal(stranger.status, 404)
    assert.equal(stranger.json.code, 'not_found')
    assert.equal(
      (await s.call('DELETE', `/api/v1/webhooks/${created.webhook.id}`, { token: reader.token })).status,
      204,
    )
    await subscribe('after-delete', { types: ['alert.started'] })
    await issue(regions.lvivOblast)
    await receiver.waitFor('after-delete', 1)
    assert.deepEqual(receiver.for('deleted'), [])
    assert.equal((await s.call('GET', `/api/v1/webhooks/${created.webhook.id}`, { token: reader.token })).status, 404)
  })

  test('a revoked key’s webhooks fall silent', async () => {
    const key = await s.addIssuer({ role: 'reader', jurisdiction: [] })
    await subscribe('revoked', { types: ['alert.started'] }, key.token)
    await subscribe('witness', { types: ['alert.started'] })
    await s.sirena.revokeIssuer(key.id)
    const before = receiver.for('witness').length
    await issue(regions.kyivCity)
    await receiver.waitFor('witness', before + 1)
    assert.deepEqual(receiver.for('revoked'), [])
  })

  test('imported history never goes out', async () => {
    await subscribe('history', { types: ['alert.started', 'notice.published'] })
    await s.store.append([
      {
        time: '2024-05-01T10:00:00.000Z',
        actor: 'import:official',
        payload: {
          type: 'alert.started',
          alert: {
            id: 'imported-1',
            type: 'air_raid',
            status: 'Actual',
            regions: [regions.kyivCity],
            message: { uk: 'Повітряна тривога!', en: 'Air raid alert!' },
            instructions: { uk: '', en: '' },
            source: 'import:official',
            issuerId: 'import:official',
            confirmedBy: null,
            startedAt: '2024-05-01T10:00:00.000Z',
          },
        },
      },
    ])
    const res = await s.call('POST', '/api/v1/notices', {
      token: officer,
      body: { regions: [regions.kyivCity], text: { uk: 'Живе', en: 'Live' } },
    })
    assert.equal(res.status, 201)
    const [d] = await receiver.waitFor('history', 1)
    assert.equal(d!.payload.type, 'notice.published')
    await new Promise((r) => setTimeout(r, 100))
    assert.equal(receiver.for('history').length, 1)
  })

  test('bad subscriptions are refused with a stable code and nothing is stored', async () => {
    const count = async () => (await s.call('GET', '/api/v1/webhooks', { token: reader.token })).json.webhooks.length
    const before = await count()
    const cases: Array<[unknown, number, string]> = [
      [{ url: 'ftp://example.org/hook' }, 400, 'invalid_webhook_url'],
      [{ url: 'not a url' }, 400, 'invalid_webhook_url'],
      [{ url: 'https://user:pw@example.org/hook' }, 400, 'invalid_webhook_url'],
      [{ url: 'https://example.org/hook', regions: ['UA-99'] }, 404, 'unknown_region'],
      [{ url: 'https://example.org/hook', types: ['alert.exploded'] }, 400, 'invalid_body'],
      [{ url: 'https://example.org/hook', includeExercises: 'yes' }, 400, 'invalid_body'],
      [{ url: 'https://example.org/hook', secret: 'mine' }, 400, 'invalid_body'],
      [{}, 400, 'invalid_body'],
    ]
    for (const [body, status, code] of cases) {
      const res = await s.call('POST', '/api/v1/webhooks', { token: reader.token, body })
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`)
      assert.equal(res.json.code, code, JSON.stringify(body))
    }
    const anonymous = await s.call('POST', '/api/v1/webhooks', { body: { url: 'https://example.org/hook' } })
    assert.equal(anonymous.status, 401)
    assert.equal(anonymous.json.code, 'unauthorized')
    assert.equal(await count(), before)
  })
})

describe('native webhooks: limits and address guard', () => {
  let s: TestServer
  let dataDir: string

  before(async () => {
    ;({ s, dataDir } = await startServer({ SIRENA_WEBHOOK_MAX_PER_ISSUER: '2' }))
  })
  after(async () => {
    await s.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  test('loopback and private targets are refused unless the operator allows them', async () => {
    const key = await s.addIssuer({ role: 'reader', jurisdiction: [] })
    for (const url of [
      'http://127.0.0.1:9/hook',
      'http://localhost/hook',
      'http://[::1]/hook',
      'http://10.1.2.3/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::ffff:192.168.0.1]/hook',
    ]) {
      const res = await s.call('POST', '/api/v1/webhooks', { token: key.token, body: { url } })
      assert.equal(res.status, 422, url)
      assert.equal(res.json.code, 'webhook_target_private', url)
    }
    assert.deepEqual((await s.call('GET', '/api/v1/webhooks', { token: key.token })).json.webhooks, [])
  })

  test('an issuer may hold only so many webhooks', async () => {
    const key = await s.addIssuer({ role: 'reader', jurisdiction: [] })
    for (const n of [1, 2]) {
      const res = await s.call('POST', '/api/v1/webhooks', {
        token: key.token,
        body: { url: `https://hooks.example.org/${n}` },
      })
      assert.equal(res.status, 201)
    }
    const third = await s.call('POST', '/api/v1/webhooks', {
      token: key.token,
      body: { url: 'https://hooks.example.org/3' },
    })
    assert.equal(third.status, 409)
    assert.equal(third.json.code, 'too_many_webhooks')
  })
})

describe('native webhooks across a restart', () => {
  test('a delivery still being retried when the server stops completes once after it starts again', async () => {
    const receiver = await new WebhookReceiver().start()
    const env = { SIRENA_WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }
    const first = await startServer(env)
    const dataDir = first.dataDir
    try {
      const officer = (await first.s.addIssuer({ jurisdiction: [regions.kyivCity] })).token
      const reader = await first.s.addIssuer({ role: 'reader', jurisdiction: [] })
      const created = await first.s.call('POST', '/api/v1/webhooks', {
        token: reader.token,
        body: { url: receiver.hookUrl('restart'), regions: [regions.kyivCity] },
      })
      receiver.trust('restart', created.json.secret)
      const started = await first.s.call('POST', '/api/v1/alerts', {
        token: officer,
        body: { type: 'air_raid', regions: [regions.kyivCity] },
      })
      await receiver.waitFor('restart', 1)
      receiver.failNext.set('restart', 1_000_000)
      await first.s.call('POST', `/api/v1/alerts/${started.json.alert.id}/end`, { token: officer })
      await until('retries', () => receiver.attempts.filter((a) => a.hook === 'restart').length >= 3)
      await first.s.close()

      receiver.failNext.set('restart', 0)
      const second = await startServer(env, dataDir)
      try {
        const got = await receiver.waitFor('restart', 2)
        assert.deepEqual(
          got.map((d) => d.payload.type),
          ['alert.started', 'alert.ended'],
        )
        assert.deepEqual(receiver.duplicates, [], 'the acknowledged alert was not sent again')
        const ids = receiver.attempts.filter((a) => a.hook === 'restart').map((a) => a.id)
        assert.ok(
          ids.slice(1).every((id) => id === got[1]!.id),
          'every retry, before and after, had one webhook-id',
        )
      } finally {
        await second.s.close()
      }
    } finally {
      await receiver.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
