/**
 * `npm run demo`: replays the 3 September 2025 scenario against a running server — the air force's warning,
 * nationwide air-raid alerts oblast by oblast, Kyiv's "Air defence is operating" notice, then the all-clears.
 *
 *   SIRENA_ADMIN_TOKEN=<token> npm start            # in one terminal
 *   SIRENA_TOKEN=<token> npm run demo               # in another (SIRENA_URL defaults to http://127.0.0.1:8080)
 *
 * Options: --pause <ms> between steps (default 1500), --url, --token, --help.
 */
import { parseArgs } from 'node:util'
import { ApiError, SirenaClient } from '../src/cli/client.ts'

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.SIRENA_URL ?? 'http://127.0.0.1:8080' },
    token: { type: 'string', default: process.env.SIRENA_TOKEN ?? process.env.SIRENA_ADMIN_TOKEN },
    pause: { type: 'string', default: '1500' },
    help: { type: 'boolean', default: false },
  },
})
if (values.help) {
  process.stdout.write(
    'usage: npm run demo -- [--url URL] [--token TOKEN] [--pause MS]\nReplays the 3 Sept 2025 alert scenario against a running Sirena.\n',
  )
  process.exit(0)
}
if (!values.token) {
  process.stderr.write(
    'demo: set SIRENA_TOKEN (or SIRENA_ADMIN_TOKEN) to a token of an issuer with nationwide jurisdiction\n',
  )
  process.exit(2)
}
const pauseMs = Number(values.pause)
const api = new SirenaClient(values.url!, values.token)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const say = (s: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)}  ${s}\n`)

interface RegionRow {
  id: string
  name: { uk: string; en: string }
  category: string
}

async function main() {
  const { body } = await api.request<{ regions: RegionRow[] }>('GET', '/api/v1/regions?level=oblast')
  // Occupied Crimea and Sevastopol are under a permanent alert in reality; the demo issues for the rest.
  const oblasts = body.regions.filter((r) => r.id !== 'UA01000000000013043' && r.id !== 'UA85000000000065278')
  const kyiv = 'UA80000000000093317'

  say('Air force: threat of missile and drone strikes across Ukraine.')
  await api.request('POST', '/api/v1/notices', {
    regions: oblasts.map((o) => o.id),
    text: {
      uk: 'Повітряні сили: загроза застосування ударних БпЛА та ракетного озброєння по всій території України.',
      en: 'Air Force: threat of strike drones and missiles across the whole of Ukraine.',
    },
  })
  await sleep(pauseMs)

  const alertIds: Array<{ id: string; name: string }> = []
  for (const o of oblasts) {
    const res = await api.request<{ alert: { id: string } }>('POST', '/api/v1/alerts', {
      type: 'air_raid',
      regions: [o.id],
      message: { uk: `Повітряна тривога: ${o.name.uk}`, en: `Air raid alert: ${o.name.en}` },
    })
    alertIds.push({ id: res.body.alert.id, name: o.name.en })
    say(`air-raid alert: ${o.name.en}`)
    await sleep(pauseMs / 10)
  }
  await sleep(pauseMs)

  say(
    'Kyiv city military administration: "Air defence is operating in Kyiv! Stay in shelters until the all-clear is given!"',
  )
  await api.request('POST', '/api/v1/notices', {
    regions: [kyiv],
    text: {
      uk: 'У Києві працює ППО! Залишайтеся в укриттях до відбою тривоги!',
      en: 'Air defence is operating in Kyiv! Stay in shelters until the all-clear is given!',
    },
  })
  await sleep(pauseMs * 3)

  for (const a of alertIds.reverse()) {
    await api.request('POST', `/api/v1/alerts/${a.id}/end`)
    say(`all-clear: ${a.name}`)
    await sleep(pauseMs / 10)
  }
  say('done: every alert has been given its all-clear.')
}

main().catch((err) => {
  process.stderr.write(`demo: ${err instanceof ApiError ? `${err.code}: ` : ''}${(err as Error).message}\n`)
  process.exit(1)
})
