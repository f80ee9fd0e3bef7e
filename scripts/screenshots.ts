/**
 * Regenerates docs/screenshots/*.png: the public map calm, under a nationwide alert and under a partial one, on a phone
 * in dark mode, and the operator console. Starts Sirena on a random loopback port with a throw-away data directory,
 * drives Debian's chromium, and writes nothing else.
 *
 *   node --import tsx scripts/screenshots.ts
 */
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'
import { ensureWebBuild, launchBrowser } from '../test/web-browser.ts'

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots')
const kyivNotice = {
  uk: 'У Києві працює ППО! Залишайтеся в укриттях до відбою тривоги!',
  en: 'Air defence is operating in Kyiv! Stay in shelters until the all-clear is given!',
}

async function mapPage(
  browser: Browser,
  server: TestServer,
  o: { dark?: boolean; phone?: boolean; level?: string } = {},
) {
  const context = await browser.newContext({
    viewport: o.phone ? { width: 390, height: 844 } : { width: 1440, height: 960 },
    deviceScaleFactor: o.phone ? 2 : 1,
    isMobile: o.phone,
    hasTouch: o.phone,
    colorScheme: o.dark ? 'dark' : 'light',
    timezoneId: 'Europe/Kyiv',
  })
  await context.addInitScript(
    ([kyiv, level]) => {
      localStorage.setItem('sirena.myRegion', kyiv!)
      if (level) localStorage.setItem('sirena.level', level)
    },
    [regions.kyivCity, o.level ?? ''],
  )
  const page = await context.newPage()
  await page.goto(`${server.url}/`)
  await page.waitForSelector('.zoom path[data-id]')
  return page
}

const shoot = async (page: Page, name: string, fullPage = false) => {
  await page.waitForTimeout(400)
  await page.screenshot({ path: join(out, name), fullPage })
  process.stdout.write(`wrote docs/screenshots/${name}\n`)
}

async function main() {
  mkdirSync(out, { recursive: true })
  await ensureWebBuild()
  const server = await startTestServer()
  const browser = await launchBrowser()
  try {
    const admin = server.adminToken
    const second = await server.addIssuer({ name: 'Чергова зміна Повітряних сил', role: 'admin', jurisdiction: [] })
    const post = async (path: string, body: unknown, token = admin) => {
      const res = await server.call('POST', path, { token, body })
      if (res.status >= 300 && res.status !== 202) throw new Error(`${path}: ${res.status} ${res.text}`)
      return res.json
    }

    let page = await mapPage(browser, server)
    await shoot(page, 'map-idle.png')
    await page.context().close()

    // Partial: alerts on a few raions and hromadas; at the oblast level their oblasts are hatched.
    const partial = [
      // Chuhuiv and Kharkiv raions; artillery on the city of Kharkiv; the Nikopol raion; Bucha raion near Kyiv.
      await post('/api/v1/alerts', { type: 'air_raid', regions: ['UA63140000000096278', 'UA63120000000091135'] }),
      await post('/api/v1/alerts', { type: 'artillery_shelling', regions: ['UA63120270000028556'] }),
      await post('/api/v1/alerts', { type: 'artillery_shelling', regions: ['UA12080000000023578'] }),
      await post('/api/v1/alerts', { type: 'air_raid', regions: ['UA32080000000084076'] }),
    ]
    page = await mapPage(browser, server, { level: 'oblast' })
    await shoot(page, 'map-partial.png')
    await page.context().close()
    page = await mapPage(browser, server, { level: 'hromada' })
    await shoot(page, 'map-partial-hromadas.png')
    await page.context().close()
    for (const p of partial) await post(`/api/v1/alerts/${p.alert.id}/end`, {})

    // Nationwide: every oblast at once, which the two-person rule holds for a second issuer.
    const oblasts = server.sirena.catalogue.atLevel('oblast').map((r) => r.id)
    const pending = await post('/api/v1/alerts', {
      type: 'air_raid',
      regions: oblasts,
      message: {
        uk: 'Загроза ракетного удару по всій території України!',
        en: 'Missile strike threat across Ukraine!',
      },
    })
    const nationwide = await post(`/api/v1/alerts/${pending.pending.id}/confirm`, {}, second.token)
    await post('/api/v1/notices', { regions: [regions.kyivCity], text: kyivNotice })
    page = await mapPage(browser, server)
    await shoot(page, 'map-nationwide.png')
    await page.context().close()
    page = await mapPage(browser, server, { dark: true, phone: true })
    await shoot(page, 'map-phone-dark.png')
    await page.context().close()

    await post(`/api/v1/alerts/${nationwide.alert.id}/end`, {})
    // Brovary and Vyshhorod raions stay under alert while the officer prepares another.
    await post('/api/v1/alerts', { type: 'air_raid', regions: ['UA32060000000012455', 'UA32100000000065867'] })

    // The console: a duty officer of the Kyiv oblast administration preparing an alert, with a confirmation waiting.
    const officer = await server.addIssuer({
      name: 'Черговий КОВА',
      role: 'supervisor',
      jurisdiction: [regions.kyivOblast],
    })
    const colleague = await server.addIssuer({
      name: 'Оператор КОВА',
      role: 'operator',
      jurisdiction: [regions.kyivOblast],
    })
    await post('/api/v1/alerts', { type: 'chemical', regions: ['UA32140150000040954'] }, colleague.token)
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, timezoneId: 'Europe/Kyiv' })
    page = await context.newPage()
    await page.goto(`${server.url}/console`)
    await page.getByLabel('Токен видавця').fill(officer.token)
    await page.getByRole('button', { name: 'Увійти' }).click()
    await page.waitForSelector('.zoom path[data-id]')
    await page.getByLabel('Додати регіон').fill('Бучанська')
    await page.locator('.search-result[data-region="UA32080070000050759"]').click()
    await page.getByLabel('Додати регіон').fill('Ірпінська')
    await page.locator('.search-result[data-region="UA32080150000035443"]').click()
    await page.getByRole('radio', { name: 'Громади' }).check()
    await shoot(page, 'console.png', true)
    await page.getByRole('tab', { name: /Підтвердження/ }).click()
    await shoot(page, 'console-confirm.png')
    await page.getByRole('tab', { name: 'Оголосити тривогу' }).click()
    await page.locator('input[name=status][value=Exercise]').check()
    await shoot(page, 'console-exercise.png', true)
    await context.close()
  } finally {
    await browser.close()
    await server.close()
  }
}

await main()
