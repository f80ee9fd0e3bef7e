import { readFileSync } from 'node:fs'
import { type Command, Option } from 'commander'
import { publicKeyFrom } from '../../delivery/mqtt/siren-command.ts'
import { loadRegionCatalogue } from '../../geo/catalogue-file.ts'

/**
 * `sirena siren-sim`: the reference siren (reference-siren.ts) as a process. It prints one JSON line per event on
 * stdout (online, command, rejected), so that tests and people can watch what a siren would do.
 */
export function register(program: Command): void {
  program
    .command('siren-sim')
    .description('run a reference siren: verifies signed commands, rejects replays and expired ones, acknowledges')
    .requiredOption('--id <id>', 'siren id: its MQTT user name and client id (sirena device add)')
    .requiredOption('--region <id>', 'the region it was registered for (any id form)')
    .addOption(new Option('--broker <url>', 'MQTT broker').default('mqtt://127.0.0.1:1883'))
    .addOption(new Option('--password <password>', 'its MQTT password').env('SIRENA_DEVICE_PASSWORD'))
    .addOption(
      new Option('--url <url>', 'Sirena server to fetch the public key from')
        .env('SIRENA_URL')
        .default('http://127.0.0.1:8080'),
    )
    .option('--public-key <file>', 'PEM public key that verifies commands (instead of fetching it from --url)')
    .option('--prefix <prefix>', 'MQTT topic prefix', 'sirena')
    .option('--heartbeat-ms <ms>', 'how often to report health', '30000')
    .action(
      async (opts: {
        id: string
        region: string
        broker: string
        password?: string
        url: string
        publicKey?: string
        prefix: string
        heartbeatMs: string
      }) => {
        const region = loadRegionCatalogue().resolve(opts.region)
        if (!region) throw new Error(`unknown region ${opts.region}`)
        const pem = opts.publicKey
          ? readFileSync(opts.publicKey, 'utf8')
          : ((await (await fetch(new URL('/api/v1/sirens/key', opts.url))).json()) as { publicKeyPem: string })
              .publicKeyPem
        const report = (e: Record<string, unknown>) =>
          process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), siren: opts.id, ...e })}\n`)
        // The MQTT client library is loaded by this command only, not by every `sirena` start (`serve` among them).
        const { ReferenceSiren } = await import('../../delivery/mqtt/reference-siren.ts')
        const siren = new ReferenceSiren({
          id: opts.id,
          region: region.id,
          brokerUrl: opts.broker,
          password: opts.password,
          prefix: opts.prefix,
          publicKey: publicKeyFrom(pem),
          heartbeatMs: Number(opts.heartbeatMs),
          report,
        })
        await siren.start()
        const stop = async () => {
          await siren.stop()
          process.exit(0)
        }
        process.on('SIGINT', () => void stop())
        process.on('SIGTERM', () => void stop())
      },
    )
}
