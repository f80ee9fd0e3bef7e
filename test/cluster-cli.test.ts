import assert from 'node:assert/strict'
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import {
  dropTestSchemas,
  natsMissing,
  natsUrl,
  postgresMissing,
  postgresUrl,
  testSchema,
  testStream,
} from '../src/cluster/testdata/services.ts'
import { PostgresEventStore } from '../src/store/postgres-store.ts'
import { at, notice, region } from '../src/store/testdata/drafts.ts'

const bin = fileURLToPath(new URL('../bin/sirena.mjs', import.meta.url))
const skip = (await postgresMissing()) || (await natsMissing())
const dataDir = mkdtempSync(join(tmpdir(), 'sirena-cluster-cli-'))
const streams: string[] = []
after(async () => {
  rmSync(dataDir, { recursive: true, force: true })
  if (skip) return
  await dropTestSchemas()
  const nc = await connect({ servers: natsUrl })
  const jsm = await jetstreamManager(nc)
  for (const s of streams) await jsm.streams.delete(s).catch(() => false)
  await nc.close()
})

const clusterEnv = (schema: string): Record<string, string> => {
  const names = testStream()
  streams.push(names.stream)
  return {
    SIRENA_MODE: 'cluster',
    SIRENA_POSTGRES_URL: postgresUrl,
    SIRENA_POSTGRES_SCHEMA: schema,
    SIRENA_NATS_URL: natsUrl,
    SIRENA_NATS_STREAM: names.stream,
    SIRENA_NATS_SUBJECT: names.subject,
    SIRENA_MQTT_ENABLED: 'false',
    SIRENA_DATA: dataDir,
  }
}

function sirena(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}

async function seededStore(): Promise<PostgresEventStore> {
  const store = new PostgresEventStore({ url: postgresUrl, schema: testSchema() })
  await store.open()
  await store.append([1, 2, 3].map((i) => notice(`n-${i}`, [region.kyivCity], at(i))))
  return store
}

describe('the sirena command in cluster mode', { skip }, () => {
  test('log verify checks the PostgreSQL log, and names the seq of a forged event', async () => {
    const store = await seededStore()
    try {
      const env = clusterEnv(store.schema)
      const ok = await sirena(['log', 'verify'], env)
      assert.equal(ok.code, 0, ok.stderr)
      assert.match(ok.stdout, /^ok: 3 events, head [0-9a-f]{64}/)
      await store.sql.begin(async (tx) => {
        await tx`ALTER TABLE events DISABLE TRIGGER events_no_change`
        await tx`UPDATE events SET payload = replace(payload, 'Kyiv', 'Lviv') WHERE seq = 2`
        await tx`ALTER TABLE events ENABLE TRIGGER events_no_change`
      })
      const broken = await sirena(['log', 'verify'], env)
      assert.equal(broken.code, 1)
      assert.match(`${broken.stdout}${broken.stderr}`, /seq 2\b/)
    } finally {
      await store.close()
    }
  })

  test('issuer add writes to the shared log of record, where every edge finds it', async () => {
    const store = await seededStore()
    try {
      const r = await sirena(
        ['issuer', 'add', '--name', 'Kyiv city duty', '--jurisdiction', 'UA-30'],
        clusterEnv(store.schema),
      )
      assert.equal(r.code, 0, r.stderr)
      const { id } = JSON.parse(r.stdout)
      assert.equal((await store.getIssuer(id))?.name, 'Kyiv city duty')
    } finally {
      await store.close()
    }
  })

  test('serve --mode cluster runs an edge on the shared log', async () => {
    const store = await seededStore()
    let child: ChildProcess | undefined
    try {
      const env = { ...clusterEnv(store.schema), SIRENA_PORT: '0', SIRENA_LOG_LEVEL: 'info' }
      delete (env as Record<string, string>).SIRENA_MODE
      child = spawn(process.execPath, [bin, 'serve', '--mode', 'cluster'], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      const url = await new Promise<string>((resolve, reject) => {
        let out = ''
        let err = ''
        const timer = setTimeout(() => reject(new Error(`no start within 30 s: ${err}`)), 30_000)
        child!.stderr!.on('data', (d) => {
          err += d
        })
        child!.stdout!.on('data', (d) => {
          out += d
          const line = out.split('\n').find((l) => l.includes('Sirena is listening'))
          if (!line) return
          clearTimeout(timer)
          const log = JSON.parse(line)
          assert.equal(log.mode, 'cluster')
          resolve(log.url)
        })
        child!.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)))
      })
      const state = await (await fetch(`${url}/api/v1/state`)).json()
      assert.equal(state.seq, 3)
    } finally {
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child!.on('exit', r))
        child.kill('SIGTERM')
        await exited
      }
      await store.close()
    }
  })
})
