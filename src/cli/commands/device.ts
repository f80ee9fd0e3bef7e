import { type Command, Option } from 'commander'
import { DeviceDirectory } from '../../app/device-directory.ts'
import { mosquittoAcl } from '../../delivery/mqtt/mosquitto-acl.ts'
import { loadRegionCatalogue } from '../../geo/catalogue-file.ts'
import { openLocalStore } from '../../runtime/local-store.ts'
import { table } from '../format.ts'

/**
 * `sirena device`: MQTT credentials for sirens and displays, on the local data directory (or, in cluster mode, the
 * PostgreSQL store every edge shares). A running server sees a new or revoked device within seconds.
 */
const out = (s: string) => process.stdout.write(`${s}\n`)
const now = () => new Date().toISOString()

export function register(program: Command): void {
  const device = program
    .command('device')
    .description('MQTT devices: sirens and displays (works on the local data directory)')

  device
    .command('add')
    .description('add a device and print its MQTT user name and password (shown once)')
    .addOption(new Option('--kind <kind>', 'siren or display').choices(['siren', 'display']).makeOptionMandatory())
    .option('--region <id>', 'the region a siren sounds for (any id form); required for a siren')
    .option('--name <name>', 'what and where it is, e.g. "Kyiv, Khreshchatyk 36"')
    .option('--id <id>', 'its id, user name and client id (default: generated)')
    .option('--drills', 'a siren that also sounds in an Exercise addressed to it')
    .option('--data <dir>', 'data directory')
    .action(
      async (opts: {
        kind: 'siren' | 'display'
        region?: string
        name?: string
        id?: string
        drills?: boolean
        data?: string
      }) => {
        let region: string | null = null
        if (opts.region !== undefined) {
          const r = loadRegionCatalogue().resolve(opts.region)
          if (!r) throw new Error(`unknown region ${opts.region}`)
          region = r.id
        }
        const store = await openLocalStore(opts.data)
        try {
          const { device: d, password } = await new DeviceDirectory(store, now).add(
            {
              kind: opts.kind,
              name: opts.name ?? `${opts.kind} ${opts.id ?? ''}`.trim(),
              region,
              id: opts.id,
              drills: opts.drills,
            },
            'cli',
          )
          out(JSON.stringify({ id: d.id, kind: d.kind, region: d.region, username: d.id, password }, null, 2))
        } finally {
          await store.close()
        }
        process.stderr.write(
          'Store this password now: it is not shown again. The device connects with its id as user name and client id.\n',
        )
      },
    )

  device
    .command('list')
    .description('list devices (their passwords are never stored)')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { data?: string }) => {
      const store = await openLocalStore(opts.data)
      const rows = await store.listDevices()
      await store.close()
      out(
        table(
          rows.map((d) => ({
            id: d.id,
            kind: d.kind,
            region: d.region ?? '',
            name: d.name,
            drills: d.drills ? 'yes' : '',
            createdAt: d.createdAt,
            revokedAt: d.revokedAt ?? '',
          })),
          ['id', 'kind', 'region', 'name', 'drills', 'createdAt', 'revokedAt'],
        ),
      )
    })

  device
    .command('revoke <id>')
    .description('revoke a device: it cannot log in again, and a running server drops it within seconds')
    .option('--data <dir>', 'data directory')
    .action(async (id: string, opts: { data?: string }) => {
      const store = await openLocalStore(opts.data)
      try {
        if (!(await new DeviceDirectory(store, now).revoke(id, 'cli'))) throw new Error(`no active device ${id}`)
      } finally {
        await store.close()
      }
      out(`revoked ${id}`)
    })

  device
    .command('mosquitto-acl')
    .description('print a Mosquitto acl_file that applies the embedded broker’s rules on an external Mosquitto')
    .option('--prefix <prefix>', 'topic prefix (SIRENA_MQTT_TOPIC_PREFIX)', 'sirena')
    .option('--sirena-user <name>', 'the user name Sirena connects with (in SIRENA_MQTT_URL)', 'sirena')
    .option('--no-anonymous-read', 'give anonymous clients nothing (closed networks)')
    .action((opts: { prefix: string; sirenaUser: string; anonymousRead: boolean }) => {
      process.stdout.write(mosquittoAcl(opts.prefix, opts.sirenaUser, opts.anonymousRead))
    })
}
