import { randomUUID } from 'node:crypto'
import type { Command } from 'commander'
import { hashToken, newToken } from '../../app/tokens.ts'
import { checkText } from '../../core/text.ts'
import { openLocalStore } from '../../runtime/local-store.ts'
import { table } from '../format.ts'

/**
 * `sirena apikey`: read keys for the compatibility APIs (alerts.in.ua v1, ukrainealarm v3) and their webhooks. A key
 * is an issuer with the `reader` role: it reads and registers webhooks, and may change nothing. Works on the local
 * data directory, like `sirena issuer`.
 */
const out = (s: string) => process.stdout.write(`${s}\n`)

export function register(program: Command): void {
  const apikey = program
    .command('apikey')
    .description('API keys for the compatibility APIs (works on the local data directory)')

  apikey
    .command('add')
    .description('create a read key and print it (shown once)')
    .requiredOption('--name <name>', 'whose key this is, e.g. "Kyiv LED map"')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { name: string; data?: string }) => {
      const name = opts.name.trim()
      if (!name) throw new Error('--name must not be empty')
      checkText('--name', name)
      const store = await openLocalStore(opts.data)
      const key = newToken()
      const id = randomUUID()
      const now = new Date().toISOString()
      try {
        await store.addIssuer({
          id,
          name,
          role: 'reader',
          jurisdiction: [],
          allowedTypes: [],
          createdAt: now,
          revokedAt: null,
          tokenHash: hashToken(key),
        })
        await store.recordAudit({
          time: now,
          actor: 'cli',
          action: 'issuer.add',
          outcome: 'accepted',
          code: null,
          reason: null,
          detail: { issuer: id, role: 'reader' },
        })
      } finally {
        await store.close()
      }
      out(JSON.stringify({ id, name, role: 'reader', key }, null, 2))
      process.stderr.write('Store this key now: it is not shown again. Revoke it with `sirena apikey revoke <id>`.\n')
    })

  apikey
    .command('list')
    .description('list read keys (the keys themselves are never stored)')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { data?: string }) => {
      const store = await openLocalStore(opts.data)
      const rows = (await store.listIssuers()).filter((i) => i.role === 'reader')
      await store.close()
      out(
        table(
          rows.map(({ id, name, createdAt, revokedAt }) => ({ id, name, createdAt, revokedAt: revokedAt ?? '' })),
          ['id', 'name', 'createdAt', 'revokedAt'],
        ),
      )
    })

  apikey
    .command('revoke <id>')
    .description('revoke a read key: it stops working within seconds')
    .option('--data <dir>', 'data directory')
    .action(async (id: string, opts: { data?: string }) => {
      const store = await openLocalStore(opts.data)
      try {
        const issuer = await store.getIssuer(id)
        if (issuer?.role !== 'reader') throw new Error(`no API key ${id}`)
        if (!(await store.revokeIssuer(id, new Date().toISOString())))
          throw new Error(`API key ${id} is already revoked`)
      } finally {
        await store.close()
      }
      out(`revoked ${id}`)
    })
}
