import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import { loadConfig } from '../../config.ts'
import { outboxChannels } from '../../runtime/channels.ts'
import { startTestServer, type TestServer } from '../../testdata/harness.ts'
import { compatApis } from '../index.ts'

/** Limits high enough that tests which are not about rate limits never meet them. */
const roomyLimits = {
  SIRENA_ALERTS_IN_UA_RATE_LIMIT_PER_MINUTE: '100000',
  SIRENA_ALERTS_IN_UA_HISTORY_RATE_LIMIT_PER_MINUTE: '100000',
  SIRENA_UKRAINEALARM_RATE_LIMIT_PER_MINUTE: '100000',
}

export interface CompatTestServer extends TestServer {
  /** A `reader` API key. */
  readerKey: string
  /** An operator for the whole of Ukraine's oblasts used in tests (Kyiv city, Kyiv oblast, Lviv, Kharkiv). */
  operatorToken: string
}

/**
 * A real server on a loopback port with the compat APIs mounted, a reader key and an operator. Pass `dataDir` to
 * restart on the same data (it is then left in place on close), and `channels` to mount the outbox channels too, with
 * their admin view `GET /api/v1/channels`.
 */
export async function startCompatServer(
  env: Record<string, string> = {},
  o: { dataDir?: string; channels?: boolean } = {},
): Promise<CompatTestServer> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'sirena-compat-'))
  const effective = { ...roomyLimits, ...env }
  const config = loadConfig(effective, { data: dataDir })
  const features = [compatApis(config), ...(o.channels ? [outboxChannels(config)] : [])]
  const server = await startTestServer({ dataDir, env: effective, features })
  const reader = await server.addIssuer({ name: 'compat reader', role: 'reader', jurisdiction: [], types: [] })
  const operator = await server.addIssuer({
    name: 'duty officer',
    role: 'supervisor',
    jurisdiction: ['UA80000000000093317', 'UA32000000000030281', 'UA46000000000026241', 'UA63000000000041885'],
  })
  return {
    ...server,
    readerKey: reader.token,
    operatorToken: operator.token,
    async close() {
      await server.close()
      if (!o.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Issues an Actual alert through the native API and returns its id. */
export async function issue(
  s: CompatTestServer,
  regions: string[],
  type = 'air_raid',
  status = 'Actual',
): Promise<string> {
  const res = await s.call('POST', '/api/v1/alerts', { token: s.operatorToken, body: { type, regions, status } })
  if (res.status !== 201) throw new Error(`issue failed: ${res.status} ${res.text}`)
  return res.json.alert.id
}

export async function allClear(s: CompatTestServer, alertId: string): Promise<void> {
  const res = await s.call('POST', `/api/v1/alerts/${alertId}/end`, { token: s.operatorToken })
  if (res.status !== 200) throw new Error(`all-clear failed: ${res.status} ${res.text}`)
}

/** A validator for one definition of a compat API's JSON Schema (written from the public clients, see the files). */
export function schemaValidator(api: 'alerts-in-ua-v1' | 'ukrainealarm-v3') {
  const dir = api === 'alerts-in-ua-v1' ? '../alerts-in-ua/schemas/' : '../ukrainealarm/schemas/'
  const schema = JSON.parse(readFileSync(new URL(`${dir}${api}.schema.json`, import.meta.url), 'utf8'))
  const ajv = new Ajv({ allErrors: true, strict: true })
  ajv.addSchema(schema)
  return (definition: string, value: unknown): void => {
    const validate = ajv.getSchema(`${api}#/definitions/${definition}`)
    if (!validate) throw new Error(`no definition ${definition} in ${api}`)
    if (!validate(value)) {
      throw new Error(
        `${definition} does not match the ${api} schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 600)}`,
      )
    }
  }
}
