import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { loadConfig } from '../../src/config.ts'
import { outboxChannels } from '../../src/runtime/channels.ts'
import { threatsFeature } from '../../src/runtime/features.ts'
import { droneTowardsKyiv } from '../../src/testdata/drone-report.ts'
import { regions, startTestServer, type TestServer } from '../../src/testdata/harness.ts'

/**
 * Every kind of issuer against every write route, over HTTP, with the outcome each must get written out by hand from
 * the rules (README, "Authority"): jurisdiction, alert types, roles, the two-person rule. A cell that succeeds where
 * the table says it must not, or fails where it must succeed, names the issuer, the action and what it got. Refused
 * cells must append nothing. (issuer-api.test.ts walks through single cases; this is the whole grid.)
 */

type Actor =
  | 'anonymous'
  | 'garbage'
  | 'revoked'
  | 'reader'
  | 'kyivOperator'
  | 'otherKyivOperator'
  | 'oblastAirRaidOnly'
  | 'supervisor'
  | 'lvivSupervisor'
  | 'upstream'
  | 'oblastAdmin'
  | 'admin'

const actors: Actor[] = [
  'anonymous',
  'garbage',
  'revoked',
  'reader',
  'kyivOperator',
  'otherKyivOperator',
  'oblastAirRaidOnly',
  'supervisor',
  'lvivSupervisor',
  'upstream',
  'oblastAdmin',
  'admin',
]

/** An outcome: a success status, or an error code. */
type Outcome = number | string

/**
 * Actions, each with its outcome per actor in the order of `actors`. `401` for the three without valid credentials
 * is the same on every row. Shorthands: R = forbidden_region, T = forbidden_type, F = forbidden.
 */
const R = 'forbidden_region'
const T = 'forbidden_type'
const F = 'forbidden'
const expected: Record<string, Outcome[]> = {
  //                                   reader  kyivOp  otherKyiv oblastAir  superv  lvivSup upstream oblAdmin admin
  'issue air_raid on Kyiv city': [F, 201, 201, R, 201, R, 201, R, 201],
  'issue artillery on Kyiv oblast': [F, R, R, T, 201, R, R, 201, 201],
  'issue air_raid on a Kyiv oblast hromada': [F, R, R, 201, 201, R, R, 201, 201],
  'issue chemical on Kyiv city': [F, 202, 202, T, 202, R, 202, R, 202],
  'issue air_raid on Kyiv city and Lviv oblast': [F, R, R, R, R, R, R, R, 202],
  'publish a notice for Kyiv city': [F, 201, 201, R, 201, R, 201, R, 201],
  'end the Kyiv operator’s alert': [F, 200, 200, R, 200, R, F, R, 200],
  'cancel the Kyiv operator’s alert': [F, 200, F, F, 200, R, F, R, 200],
  'reword the Kyiv operator’s alert': [F, 200, 200, R, 200, R, F, R, 200],
  'widen the Kyiv operator’s alert to Kyiv oblast': [F, R, R, R, 202, R, F, R, 202],
  'confirm the Kyiv operator’s chemical alert': [F, 'self_confirmation', 201, T, 201, R, F, R, 201],
  'reject the Kyiv operator’s chemical alert': [F, 200, 200, T, 200, R, F, R, 200],
  'report a threat over Kyiv city': [F, F, F, F, F, F, 201, R, 201],
  // Tracks are machine signals: only the upstream reports them (an admin stands in for nobody here).
  'report a threat track near Kyiv': [F, F, F, F, F, F, 200, F, F],
  'set an oblast’s track mode': [F, F, F, F, F, F, F, R, 200],
  'subscribe a webhook': [201, 201, 201, 201, 201, 201, 201, 201, 201],
  'delete the reader’s webhook': [
    204,
    'not_found',
    'not_found',
    'not_found',
    'not_found',
    'not_found',
    'not_found',
    'not_found',
    204,
  ],
  'read the audit trail': [F, F, F, F, 200, 200, F, 200, 200],
}

let s: TestServer
let dataDir: string
const tokens = {} as Record<Actor, string | undefined>
let kyivHromada: string

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sirena-authz-'))
  const env = {
    SIRENA_WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    SIRENA_WEBHOOK_MAX_PER_ISSUER: '1000',
    SIRENA_RATE_LIMIT_PER_MINUTE: '1000000',
    // The matrix sends a refused token on every route from one address; the failed-authentication throttle has its
    // own tests (rate-limits.test.ts), and here it would turn the expected 401s into 429s.
    SIRENA_FAILED_AUTH_PER_MINUTE: '1000000',
  }
  const config = loadConfig(env, { data: dataDir })
  s = await startTestServer({ dataDir, env, features: [outboxChannels(config), threatsFeature(config)] })
  const add = async (o: Parameters<TestServer['addIssuer']>[0]) => (await s.addIssuer(o)).token
  tokens.anonymous = undefined
  tokens.garbage = 'sir_not-a-token'
  const revoked = await s.addIssuer({ jurisdiction: [regions.kyivCity] })
  await s.sirena.revokeIssuer(revoked.id)
  tokens.revoked = revoked.token
  tokens.reader = await add({ role: 'reader', jurisdiction: [], types: [] })
  tokens.kyivOperator = await add({ name: 'Kyiv city duty officer', jurisdiction: [regions.kyivCity] })
  tokens.otherKyivOperator = await add({ name: 'second Kyiv officer', jurisdiction: [regions.kyivCity] })
  tokens.oblastAirRaidOnly = await add({ jurisdiction: [regions.kyivOblast], types: ['air_raid'] })
  tokens.supervisor = await add({ role: 'supervisor', jurisdiction: [regions.kyivCity, regions.kyivOblast] })
  tokens.lvivSupervisor = await add({ role: 'supervisor', jurisdiction: [regions.lvivOblast] })
  tokens.upstream = await add({ role: 'upstream', jurisdiction: [regions.kyivCity] })
  tokens.oblastAdmin = await add({ role: 'admin', jurisdiction: [regions.kyivOblast] })
  tokens.admin = s.adminToken
  kyivHromada = s.sirena.catalogue.atLevel('hromada').find((h) => h.oblast === regions.kyivOblast)!.id
})
after(async () => {
  await s.close()
  rmSync(dataDir, { recursive: true, force: true })
})

/** An alert (or a pending chemical one) of the Kyiv city operator, fresh for each cell. */
async function kyivAlert(type = 'air_raid') {
  const res = await s.call('POST', '/api/v1/alerts', {
    token: tokens.kyivOperator,
    body: { type, regions: [regions.kyivCity] },
  })
  assert.ok(res.status === 201 || res.status === 202, res.text)
  return res.status === 201 ? (res.json.alert.id as string) : (res.json.pending.id as string)
}

async function readerWebhook() {
  const res = await s.call('POST', '/api/v1/webhooks', {
    token: tokens.reader,
    body: { url: 'http://127.0.0.1:9/authz', types: ['notice.published'] },
  })
  assert.equal(res.status, 201, res.text)
  return res.json.webhook.id as string
}

const later = () => new Date(Date.now() + 600_000).toISOString()

/** The request of each action, after whatever set-up it needs. */
const actions: Record<string, () => Promise<[method: string, path: string, body?: unknown]>> = {
  'issue air_raid on Kyiv city': async () => [
    'POST',
    '/api/v1/alerts',
    { type: 'air_raid', regions: [regions.kyivCity] },
  ],
  'issue artillery on Kyiv oblast': async () => [
    'POST',
    '/api/v1/alerts',
    { type: 'artillery_shelling', regions: [regions.kyivOblast] },
  ],
  'issue air_raid on a Kyiv oblast hromada': async () => [
    'POST',
    '/api/v1/alerts',
    { type: 'air_raid', regions: [kyivHromada] },
  ],
  'issue chemical on Kyiv city': async () => [
    'POST',
    '/api/v1/alerts',
    { type: 'chemical', regions: [regions.kyivCity] },
  ],
  'issue air_raid on Kyiv city and Lviv oblast': async () => [
    'POST',
    '/api/v1/alerts',
    { type: 'air_raid', regions: [regions.kyivCity, regions.lvivOblast] },
  ],
  'publish a notice for Kyiv city': async () => [
    'POST',
    '/api/v1/notices',
    { regions: [regions.kyivCity], text: { uk: 'Працює ППО' } },
  ],
  'end the Kyiv operator’s alert': async () => ['POST', `/api/v1/alerts/${await kyivAlert()}/end`],
  'cancel the Kyiv operator’s alert': async () => ['POST', `/api/v1/alerts/${await kyivAlert()}/cancel`, {}],
  'reword the Kyiv operator’s alert': async () => [
    'PATCH',
    `/api/v1/alerts/${await kyivAlert()}`,
    { message: { en: `Reworded ${Math.random()}` } },
  ],
  'widen the Kyiv operator’s alert to Kyiv oblast': async () => [
    'PATCH',
    `/api/v1/alerts/${await kyivAlert()}`,
    { regions: [regions.kyivCity, regions.kyivOblast] },
  ],
  'confirm the Kyiv operator’s chemical alert': async () => [
    'POST',
    `/api/v1/alerts/${await kyivAlert('chemical')}/confirm`,
  ],
  'reject the Kyiv operator’s chemical alert': async () => [
    'POST',
    `/api/v1/alerts/${await kyivAlert('chemical')}/reject`,
  ],
  'report a threat over Kyiv city': async () => [
    'POST',
    '/api/v1/threats',
    { kind: 'drone', regions: [regions.kyivCity], expiresAt: later() },
  ],
  'report a threat track near Kyiv': async () => [
    'POST',
    '/api/v1/threats/tracks',
    {
      reports: [droneTowardsKyiv('authz-1')],
    },
  ],
  'set an oblast’s track mode': async () => ['PUT', '/api/v1/threats/tracks/modes/UA-46', { mode: 'recommend' }],
  'subscribe a webhook': async () => [
    'POST',
    '/api/v1/webhooks',
    { url: 'http://127.0.0.1:9/authz', types: ['notice.published'] },
  ],
  'delete the reader’s webhook': async () => ['DELETE', `/api/v1/webhooks/${await readerWebhook()}`],
  'read the audit trail': async () => ['GET', '/api/v1/audit?limit=1'],
}

const outcomeOf = (res: { status: number; json: any }): Outcome => (res.status < 300 ? res.status : res.json?.code)

describe('the authorization matrix', () => {
  test('every action has a row of outcomes for every actor with credentials', () => {
    for (const [name, row] of Object.entries(expected)) {
      assert.ok(actions[name], name)
      assert.equal(row.length, actors.length - 3, name)
    }
  })

  for (const [name, row] of Object.entries(expected)) {
    test(`${name}: only the issuers the rules allow succeed`, async () => {
      const wrong: string[] = []
      for (const [i, actor] of actors.entries()) {
        const want: Outcome = i < 3 ? 'unauthorized' : row[i - 3]!
        const [method, path, body] = await actions[name]!()
        const seq = s.sirena.state.seq
        const res = await s.call(method, path, { token: tokens[actor], body })
        const got = outcomeOf(res)
        if (got !== want) wrong.push(`${actor}: expected ${want}, got ${res.status} ${res.text.slice(0, 200)}`)
        if (typeof want === 'string') {
          assert.ok(res.status >= 400 && res.status < 500, `${actor}: ${res.status}`)
          assert.equal(s.sirena.state.seq, seq, `${actor}: a refused ${name} appended nothing`)
        }
        if (want === 202) assert.equal(s.sirena.state.seq, seq, `${actor}: a pending action appended nothing yet`)
      }
      assert.deepEqual(wrong, [])
    })
  }

  test('every refusal was audited with its code', async () => {
    const audit = await s.store.listAudit({ afterId: 0, limit: 100_000 })
    const refused = new Set(audit.filter((e) => e.outcome === 'refused').map((e) => e.code))
    for (const code of ['unauthorized', R, T, F, 'self_confirmation']) assert.ok(refused.has(code), code)
  })
})
