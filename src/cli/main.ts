import { randomUUID } from 'node:crypto'
import { Command, InvalidArgumentError, Option } from 'commander'
import { hashToken, newToken } from '../app/tokens.ts'
import { ConfigError, describeConfig, loadConfig } from '../config.ts'
import { alertTypes, capStatuses } from '../core/alert.ts'
import { isIssuerRole, issuerRoles } from '../core/issuer.ts'
import { checkText } from '../core/text.ts'
import { loadRegionCatalogue } from '../geo/catalogue-file.ts'
import { openLocalStore } from '../runtime/local-store.ts'
import { startServer } from '../runtime/runtime.ts'
import { ApiError, SirenaClient } from './client.ts'
import { registerFeatureCommands } from './commands/index.ts'
import { table } from './format.ts'

/** `sirena`: run the server, manage issuers, issue alerts, inspect and verify the log. Exit codes: 0 ok, 1 failure, 2 usage. */
const program = new Command('sirena')
  .description('Sirena — open air-raid alerting platform')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 2)
  })

const integer = (v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer')
  return n
}
const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)

const serverOptions = (cmd: Command) =>
  cmd
    .addOption(new Option('--url <url>', 'Sirena server URL').env('SIRENA_URL').default('http://127.0.0.1:8080'))
    .addOption(new Option('--token <token>', 'issuer bearer token').env('SIRENA_TOKEN'))

const client = (opts: { url: string; token?: string }) => new SirenaClient(opts.url, opts.token)
const print = (v: unknown) => process.stdout.write(`${typeof v === 'string' ? v : JSON.stringify(v, null, 2)}\n`)

program
  .command('serve')
  .description('run the server: embedded (SQLite log, in-process bus, web app), or a cluster edge (--mode cluster)')
  .option('--host <host>', 'listen address (SIRENA_HOST, default 127.0.0.1)')
  .option('--port <port>', 'HTTP port (SIRENA_PORT, default 8080)')
  .option('--data <dir>', 'data directory (SIRENA_DATA, default ./var)')
  .option('--admin-token <token>', 'ensure an admin issuer with this token (SIRENA_ADMIN_TOKEN)')
  .option('--mode <mode>', 'embedded, or cluster: PostgreSQL log + NATS JetStream (SIRENA_MODE, default embedded)')
  .action(async (opts) => {
    const config = loadConfig(process.env, {
      host: opts.host,
      port: opts.port,
      data: opts.data,
      adminToken: opts.adminToken,
      mode: opts.mode,
    })
    const server = await startServer(config)
    if (process.stdout.isTTY) {
      process.stderr.write(
        `\nSirena is running at ${server.url}  (map: ${server.url}/, API docs: ${server.url}/api/docs)\n`,
      )
      if (!config.adminToken)
        process.stderr.write('No SIRENA_ADMIN_TOKEN set: create an issuer with `sirena issuer add --help`.\n\n')
    }
    let closing = false
    const shutdown = async (signal: string) => {
      if (closing) return
      closing = true
      server.sirena.logger.info({ signal }, 'shutting down')
      await server.close()
      process.exit(0)
    }
    process.on('SIGINT', () => void shutdown('SIGINT'))
    process.on('SIGTERM', () => void shutdown('SIGTERM'))
  })

program
  .command('config')
  .description('print the effective configuration, its environment variables and defaults')
  .action(() => {
    print(table(describeConfig(loadConfig()), ['key', 'env', 'value', 'default', 'description']))
  })

const issuer = program.command('issuer').description('manage issuers (works on the local data directory)')
issuer
  .command('add')
  .description('create an issuer and print its token (shown once)')
  .option('--name <name>', 'who this is, e.g. "Kyiv city duty officer"')
  .addOption(new Option('--role <role>', 'role').choices([...issuerRoles]).default('operator'))
  .option('--jurisdiction <ids>', 'comma-separated regions (any id form); omit for nationwide (admin only)', list, [])
  .option('--types <types>', `alert types it may issue (${alertTypes.join(', ')})`, list, [...alertTypes])
  .option(
    '--like <id>',
    'copy name, role, jurisdiction and types from this issuer: to rotate its token, add one like it, move the clients over, then revoke the old one',
  )
  .option('--data <dir>', 'data directory')
  .action(async (opts) => {
    if (opts.like) {
      const store = await openLocalStore(opts.data)
      const model = await store.getIssuer(opts.like)
      await store.close()
      if (!model) throw new Error(`no issuer ${opts.like}`)
      opts.name ??= model.name
      opts.role = model.role
      opts.jurisdiction = model.jurisdiction
      opts.types = model.allowedTypes
    }
    if (!opts.name) throw new Error('pass --name (or --like an existing issuer)')
    if (!isIssuerRole(opts.role)) throw new Error(`unknown role ${opts.role}`)
    checkText('--name', opts.name)
    for (const t of opts.types)
      if (!(alertTypes as readonly string[]).includes(t)) throw new Error(`unknown alert type ${t}`)
    const catalogue = loadRegionCatalogue()
    const jurisdiction = (opts.jurisdiction as string[]).map((id) => {
      const r = catalogue.resolve(id)
      if (!r) throw new Error(`unknown region ${id}`)
      return r.id
    })
    if (jurisdiction.length === 0 && opts.role !== 'admin')
      throw new Error('only an admin may have nationwide jurisdiction; pass --jurisdiction')
    const store = await openLocalStore(opts.data)
    const token = newToken()
    const id = randomUUID()
    const now = new Date().toISOString()
    await store.addIssuer({
      id,
      name: opts.name,
      role: opts.role,
      jurisdiction,
      allowedTypes: opts.types,
      createdAt: now,
      revokedAt: null,
      tokenHash: hashToken(token),
    })
    await store.recordAudit({
      time: now,
      actor: 'cli',
      action: 'issuer.add',
      outcome: 'accepted',
      code: null,
      reason: null,
      detail: { issuer: id, role: opts.role, ...(opts.like ? { like: opts.like } : {}) },
    })
    await store.close()
    print({ id, name: opts.name, role: opts.role, jurisdiction, token })
    process.stderr.write('Store this token now: it is not shown again.\n')
  })
issuer
  .command('list')
  .description('list issuers')
  .option('--data <dir>', 'data directory')
  .action(async (opts) => {
    const store = await openLocalStore(opts.data)
    const rows = (await store.listIssuers()).map(({ tokenHash: _t, ...i }) => ({
      ...i,
      jurisdiction: i.jurisdiction.join(' ') || 'nationwide',
      allowedTypes: i.allowedTypes.join(' '),
    }))
    await store.close()
    print(table(rows, ['id', 'name', 'role', 'jurisdiction', 'allowedTypes', 'revokedAt']))
  })
issuer
  .command('revoke <id>')
  .description('revoke an issuer: its token stops working within seconds')
  .option('--data <dir>', 'data directory')
  .action(async (id, opts) => {
    const store = await openLocalStore(opts.data)
    const ok = await store.revokeIssuer(id, new Date().toISOString())
    await store.close()
    if (!ok) throw new Error(`no issuer ${id}`)
    print(`revoked ${id}`)
  })

const alert = program.command('alert').description('issue and end alerts on a running server')
serverOptions(
  alert
    .command('issue')
    .description('issue an alert')
    .addOption(new Option('--type <type>', 'alert type').choices([...alertTypes]).default('air_raid'))
    .requiredOption('--regions <ids>', 'comma-separated regions (KATOTTG, ISO 3166-2, alerts.in.ua uid)', list)
    .addOption(new Option('--status <status>', 'CAP status').choices([...capStatuses]).default('Actual'))
    .option('--message-uk <text>')
    .option('--message-en <text>')
    .option('--idempotency-key <key>', 'retry-safe key'),
).action(async (opts) => {
  const res = await client(opts).request(
    'POST',
    '/api/v1/alerts',
    {
      type: opts.type,
      regions: opts.regions,
      status: opts.status,
      message: opts.messageUk || opts.messageEn ? { uk: opts.messageUk, en: opts.messageEn } : undefined,
    },
    opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {},
  )
  print(res.body)
})
for (const [name, description] of [
  ['end', 'give the all-clear'],
  ['confirm', 'confirm an alert awaiting a second person'],
  ['reject', 'reject an alert awaiting a second person'],
] as const) {
  serverOptions(alert.command(`${name} <id>`).description(description)).action(async (id, opts) => {
    print((await client(opts).request('POST', `/api/v1/alerts/${encodeURIComponent(id)}/${name}`)).body)
  })
}
serverOptions(
  alert.command('cancel <id>').description('cancel a false alarm').option('--reason <text>', 'why', 'false alarm'),
).action(async (id, opts) => {
  print(
    (await client(opts).request('POST', `/api/v1/alerts/${encodeURIComponent(id)}/cancel`, { reason: opts.reason }))
      .body,
  )
})

serverOptions(
  program
    .command('notice')
    .description('publish a notice (no change of state), e.g. "Air defence is operating in Kyiv!"')
    .requiredOption('--regions <ids>', 'comma-separated regions', list)
    .requiredOption('--uk <text>', 'text in Ukrainian')
    .option('--en <text>', 'text in English')
    .addOption(new Option('--status <status>', 'CAP status').choices([...capStatuses]).default('Actual')),
).action(async (opts) => {
  print(
    (
      await client(opts).request('POST', '/api/v1/notices', {
        regions: opts.regions,
        text: { uk: opts.uk, en: opts.en },
        status: opts.status,
      })
    ).body,
  )
})

serverOptions(
  program.command('status [region]').description('the status of one region, or every region under alert'),
).action(async (region, opts) => {
  const c = client(opts)
  if (region) {
    const { body } = await c.request<{
      region: { name: { uk: string; en: string } }
      status: string
      since: string | null
      alerts: Array<{ id: string; type: string }>
    }>('GET', `/api/v1/regions/${encodeURIComponent(region)}`)
    print(`${body.region.name.uk} / ${body.region.name.en}: ${body.status}${body.since ? ` since ${body.since}` : ''}`)
    if (body.alerts.length) print(table(body.alerts, ['id', 'type', 'startedAt', 'regions']))
    return
  }
  const { body } = await c.request<{ seq: number; alerts: Array<Record<string, unknown>> }>('GET', '/api/v1/state')
  print(`log seq ${body.seq}; ${body.alerts.length} active alert(s)`)
  if (body.alerts.length) print(table(body.alerts, ['id', 'type', 'status', 'startedAt', 'regions']))
})

const log = program.command('log').description('the event log (works on the local data directory)')
log
  .command('verify')
  .description('re-verify the whole hash chain and report the first broken link')
  .option('--data <dir>', 'data directory')
  .action(async (opts) => {
    const store = await openLocalStore(opts.data).catch((err) => {
      // open() itself refuses a chain broken after the checkpoint; report it as a verification failure.
      throw new Error(`verification failed: ${(err as Error).message}`)
    })
    const head = await store.head()
    const tty = process.stderr.isTTY
    const result = await store.verify({
      onProgress: (seq) => {
        if (tty && seq % 10_000 === 0) process.stderr.write(`\rverified ${seq}/${head.seq}`)
      },
    })
    if (tty) process.stderr.write('\r')
    await store.close()
    if (!result.ok) {
      print(`BROKEN at seq ${result.seq}: ${result.reason}`)
      process.exitCode = 1
      return
    }
    print(`ok: ${result.lastSeq} events, head ${result.lastHash}`)
  })
log
  .command('export')
  .description('write the log as NDJSON to stdout')
  .option('--data <dir>', 'data directory')
  .option('--after <seq>', 'start after this sequence number', integer, 0)
  .action(async (opts) => {
    const store = await openLocalStore(opts.data)
    let after: number = opts.after
    for (;;) {
      const page = await store.readEvents(after, 1000)
      if (page.length === 0) break
      process.stdout.write(`${page.map((e) => JSON.stringify(e)).join('\n')}\n`)
      after = page.at(-1)!.seq
    }
    await store.close()
  })

registerFeatureCommands(program)

export async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`sirena: ${err.message}\n`)
      process.exit(2)
    }
    if (err instanceof ApiError) {
      process.stderr.write(`sirena: ${err.code}: ${err.message}\n`)
      process.exit(1)
    }
    process.stderr.write(`sirena: ${(err as Error).message}\n`)
    process.exit(1)
  }
}

export { program }
