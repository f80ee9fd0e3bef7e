import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type CompatTestServer, startCompatServer } from '../src/compat/testdata/server.ts'

const bin = new URL('../bin/sirena.mjs', import.meta.url).pathname

function sirena(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr })
    })
  })
}

describe('sirena apikey', () => {
  let s: CompatTestServer
  let dataDir: string
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sirena-apikey-'))
    s = await startCompatServer({}, { dataDir })
  })
  after(async () => {
    await s.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  test('apikey add prints a reader key once, and it reads both compat APIs but may change nothing', async () => {
    const add = await sirena(['apikey', 'add', '--name', 'Kyiv LED map', '--data', dataDir])
    assert.equal(add.code, 0, add.stderr)
    const { id, key, role } = JSON.parse(add.stdout)
    assert.equal(role, 'reader')
    assert.match(key, /^sir_/)
    assert.match(add.stderr, /not shown again/)
    assert.equal((await s.call('GET', '/v1/alerts/active.json', { token: key })).status, 200)
    assert.equal((await s.call('GET', '/api/v3/alerts', { headers: { authorization: key } })).status, 200)
    const refused = await s.call('POST', '/api/v1/alerts', {
      token: key,
      body: { type: 'air_raid', regions: ['UA-30'] },
    })
    assert.equal(refused.status, 403)

    const list = await sirena(['apikey', 'list', '--data', dataDir])
    assert.equal(list.code, 0, list.stderr)
    assert.match(list.stdout, new RegExp(`${id}\\s+Kyiv LED map`))
    assert.doesNotMatch(list.stdout, /duty officer/, 'only read keys are listed')

    const revoke = await sirena(['apikey', 'revoke', id, '--data', dataDir])
    assert.equal(revoke.code, 0, revoke.stderr)
    assert.match((await sirena(['apikey', 'list', '--data', dataDir])).stdout, /Kyiv LED map\s+\S+\s+\d{4}-/)
    const again = await sirena(['apikey', 'revoke', id, '--data', dataDir])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /already revoked/)
  })

  test('apikey add without a name is a usage error, and an operator id is not an API key to revoke', async () => {
    const noName = await sirena(['apikey', 'add', '--data', dataDir])
    assert.equal(noName.code, 2)
    assert.match(noName.stderr, /--name/)
    const operators = (await s.store.listIssuers()).filter((i) => i.role !== 'reader')
    const notAKey = await sirena(['apikey', 'revoke', operators[0]!.id, '--data', dataDir])
    assert.equal(notAKey.code, 1)
    assert.match(notAKey.stderr, /no API key/)
  })
})
