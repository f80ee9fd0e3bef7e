import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { gzipSync } from 'node:zlib'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { droneTowardsKyiv } from '../src/testdata/drone-report.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'
import { ensureWebBuild, launchBrowser, seriousViolations, skipBrowser, text } from './web-browser.ts'

const kyiv = regions.kyivCity
const chuhuivRaion = 'UA63140000000096278'
const bucha = 'UA32080070000050759'
const lvivCity = 'UA46060250000025047'
const onMap = (id: string) => `.zoom path[data-id="${id}"]`

describe('the public map in a browser', { skip: skipBrowser }, () => {
  let server: TestServer
  let browser: Browser
  let context: BrowserContext
  let page: Page
  const issue = async (body: Record<string, unknown>) => {
    const res = await server.call('POST', '/api/v1/alerts', { token: server.adminToken, body })
    assert.equal(res.status, 201, res.text)
    return res.json.alert as { id: string }
  }
  const end = (id: string) => server.call('POST', `/api/v1/alerts/${id}/end`, { token: server.adminToken })

  before(async () => {
    await ensureWebBuild()
    server = await startTestServer()
    browser = await launchBrowser()
    context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      timezoneId: 'Europe/Kyiv',
      locale: 'uk-UA',
    })
    page = await context.newPage()
    page.setDefaultTimeout(10_000)
    await page.goto(`${server.url}/`)
    await page.waitForSelector(onMap(kyiv))
  })
  after(async () => {
    await browser?.close()
    await server?.close()
  })

  test('the map page loads under 150 KB of gzipped script, the geometry fetched apart', async () => {
    const html = await (await fetch(`${server.url}/`)).text()
    const scripts = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!)
    assert.ok(scripts.length > 0)
    let bytes = 0
    for (const src of scripts)
      bytes += gzipSync(Buffer.from(await (await fetch(`${server.url}${src}`)).arrayBuffer())).length
    assert.ok(bytes < 150 * 1024, `${bytes} bytes gzipped`)
  })

  test('the map draws every oblast, in Ukrainian, with no alert anywhere', async () => {
    assert.equal((await page.locator('.layer-hromada path').count()) > 1000, true)
    assert.equal(await page.getAttribute('html', 'lang'), 'uk')
    assert.match(await text(page.locator('#map-title')), /Тривог немає/)
    assert.match((await page.getAttribute(onMap(kyiv), 'class'))!, /s-none/)
  })

  test('an alert issued through the API turns Kyiv red and lists it; the all-clear turns it back', async () => {
    const alert = await issue({ type: 'air_raid', regions: [kyiv] })
    await page.waitForSelector(`${onMap(kyiv)}.s-active.t-air_raid`)
    const listed = page.locator('#active-alerts article', { hasText: 'Київ' })
    assert.equal(await listed.count(), 1)
    assert.match(await text(listed), /Повітряна тривога/)
    assert.match(await text(listed), /триває/)

    await end(alert.id)
    await page.waitForSelector(`${onMap(kyiv)}.s-none`)
    await page.waitForSelector('#recent-clears article:has-text("Київ")')
    assert.equal(await page.locator('#active-alerts article').count(), 0)
  })

  test('an alert on one raion hatches its oblast as partial at the oblast level', async () => {
    const alert = await issue({ type: 'air_raid', regions: [chuhuivRaion] })
    await page.getByRole('radio', { name: 'Області' }).check()
    await page.waitForSelector(`${onMap(regions.kharkivOblast)}.s-partial.t-air_raid`)
    const fill = await page.$eval(onMap(regions.kharkivOblast), (el) => getComputedStyle(el).fill)
    assert.match(fill, /url\("?#hatch-air_raid"?\)/, 'partial is drawn with a pattern, not colour alone')
    await end(alert.id)
    await page.waitForSelector(`${onMap(regions.kharkivOblast)}.s-none`)
    await page.getByRole('radio', { name: 'Громади' }).check()
  })

  test('exercise and test alerts never appear on the public map', async () => {
    const exercise = await issue({ type: 'air_raid', regions: [kyiv], status: 'Exercise' })
    const drill = await issue({ type: 'air_raid', regions: [bucha], status: 'Test' })
    // A real alert after them: once it shows, the page has seen the exercise events too.
    const real = await issue({ type: 'artillery_shelling', regions: [regions.lvivOblast] })
    await page.waitForSelector(`${onMap(lvivCity)}.s-active.t-artillery_shelling`)
    assert.match((await page.getAttribute(onMap(kyiv), 'class'))!, /s-none/)
    assert.equal(await page.locator('#active-alerts article').count(), 1)
    for (const a of [exercise, drill, real]) await end(a.id)
    await page.waitForSelector(`${onMap(lvivCity)}.s-none`)
  })

  test('hovering a region shows its names in both languages, its status and since when', async () => {
    const alert = await issue({ type: 'air_raid', regions: [kyiv] })
    await page.waitForSelector(`${onMap(kyiv)}.s-active`)
    await page.hover(`.inset path[data-id="${kyiv}"]`)
    const tip = await text(page.locator('.tooltip'))
    assert.match(tip, /Київ/)
    assert.match(tip, /Kyiv/)
    assert.match(tip, /Тривога/)
    assert.match(tip, /з \d\d:\d\d/)
    await end(alert.id)
    await page.waitForSelector(`${onMap(kyiv)}.s-none`)
  })

  test('after the connection drops, the page catches up by itself, without reloading', async () => {
    await page.evaluate(() => {
      ;(window as unknown as { notReloaded: boolean }).notReloaded = true
    })
    server.http.app.server.closeAllConnections()
    // The test's own pooled connection was dropped too; the first call may meet the closed socket.
    const alert = await issue({ type: 'air_raid', regions: [kyiv] }).catch(() =>
      issue({ type: 'air_raid', regions: [kyiv] }),
    )
    await page.waitForSelector(`${onMap(kyiv)}.s-active`, { timeout: 10_000 })
    assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true)
    await end(alert.id)
    await page.waitForSelector(`${onMap(kyiv)}.s-none`)
  })

  test('the zoom buttons and keys zoom and pan the map', async () => {
    const transform = () => page.getAttribute('.zoom', 'transform')
    await page.getByRole('button', { name: 'Збільшити' }).click()
    assert.match((await transform())!, /scale\(1\.6/)
    await page.focus('.map')
    await page.keyboard.press('ArrowLeft')
    await page.keyboard.press('0')
    assert.match((await transform())!, /translate\(0\.00 0\.00\) scale\(1\.0000\)/)
  })

  test('my region is found by name, remembered across a reload, and shows the notice for it', async () => {
    await page.getByLabel('Оберіть свою громаду').fill('Бучанська')
    await page.locator(`.search-result[data-region="${bucha}"]`).click()
    await page.waitForSelector('.my-region .my-name:has-text("Бучанська міська громада")')
    await page.reload()
    await page.waitForSelector('.my-region .my-name:has-text("Бучанська міська громада")')
    assert.equal(await page.locator(`${onMap(bucha)}.sel`).count(), 1, 'my region is outlined on the map')

    const alert = await issue({ type: 'air_raid', regions: ['UA32080000000084076'] })
    const notice = 'Працює протиповітряна оборона! Залишайтеся в укриттях до відбою тривоги!'
    await server.call('POST', '/api/v1/notices', {
      token: server.adminToken,
      body: { regions: [regions.kyivOblast], text: { uk: notice } },
    })
    await page.waitForSelector('.my-status.active')
    await page.waitForSelector(`.notice-banner:has-text("${notice}")`)
    assert.match(await text(page.locator('.my-status')), /У вашому регіоні тривога!/)
    await end(alert.id)
    await page.waitForSelector('.my-status.calm')
  })

  test('my region can be found from the device’s position, and the siren sounds there until silenced', async () => {
    const here = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      geolocation: { latitude: 50.5436, longitude: 30.2123 },
      permissions: ['geolocation'],
    })
    const p = await here.newPage()
    p.setDefaultTimeout(10_000)
    await p.goto(`${server.url}/`)
    await p.getByRole('button', { name: 'Визначити за місцем' }).click()
    await p.waitForSelector('.my-region .my-name:has-text("Бучанська міська громада")')

    await p.getByLabel('Звук сирени, поки триває тривога тут').check()
    const alert = await issue({ type: 'air_raid', regions: [bucha] })
    await p.waitForSelector('.siren-on')
    await p.getByRole('button', { name: 'Вимкнути звук до відбою' }).click()
    await p.waitForSelector('.siren-on', { state: 'detached' })
    assert.equal(await p.evaluate(() => localStorage.getItem('sirena.sound')), '1', 'the choice is remembered')
    await end(alert.id)
    await here.close()
  })

  test('a threat track shows on the map as a corridor, and a hromada in its path gives its time to shelter', async () => {
    const upstream = (await server.addIssuer({ role: 'upstream', jurisdiction: [regions.kyivOblast, kyiv] })).token
    const res = await server.call('POST', '/api/v1/threats/tracks', {
      token: upstream,
      body: {
        reports: [droneTowardsKyiv('map-d1')],
      },
    })
    assert.equal(res.status, 200, res.text)
    // The map polls the tracks every 5 s.
    await page.waitForSelector('.tracks .track-drone .track-corridor', { timeout: 15_000 })
    await page.goto(`${server.url}/#/region/${kyiv}`)
    await page.waitForSelector('.region-shelter', { timeout: 15_000 })
    assert.match(await text(page.locator('.region-shelter')), /Час до укриття|Time to shelter/)
    await page.goto(`${server.url}/`)
    await page.waitForSelector(onMap(kyiv))
    const gone = await server.call('POST', '/api/v1/threats/tracks', {
      token: upstream,
      body: { reports: [{ type: 'destroyed', id: 'map-d1', at: new Date().toISOString() }] },
    })
    assert.equal(gone.status, 200)
  })

  test('a region page shows its history with the per-day chart', async () => {
    await page.goto(`${server.url}/#/region/${kyiv}`)
    await page.waitForSelector('.region-page .region-name:has-text("Київ")')
    await page.waitForSelector('.chart canvas')
    const entries = await page.locator('.timeline li').count()
    assert.ok(entries >= 2, `the alerts issued above are in the history (${entries})`)
    assert.match(await text(page.locator('.region-page')), /Разом: \d+ тривог/)
    await page.goto(`${server.url}/#/`)
  })

  test('the English switch translates the page and is remembered', async () => {
    await page.getByRole('button', { name: 'ENG' }).click()
    assert.equal(await page.getAttribute('html', 'lang'), 'en')
    await page.waitForSelector('#map-title:has-text("No alerts")')
    await page.reload()
    await page.waitForSelector('#map-title:has-text("No alerts")')
    await page.getByRole('button', { name: 'УКР' }).click()
  })

  test('the map page has no serious accessibility violations, in light and dark mode, calm and under alert', async () => {
    assert.deepEqual(await seriousViolations(page), [])
    const alert = await issue({ type: 'air_raid', regions: [kyiv] })
    await page.waitForSelector(`${onMap(kyiv)}.s-active`)
    await page.emulateMedia({ colorScheme: 'dark' })
    assert.deepEqual(await seriousViolations(page), [])
    await page.emulateMedia({ colorScheme: 'light' })
    await end(alert.id)
  })

  test('on a phone the map and the lists stack in one column', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
    const p = await phone.newPage()
    await p.goto(`${server.url}/`)
    await p.waitForSelector(onMap(kyiv))
    const map = await p.locator('.map').boundingBox()
    const side = await p.locator('.side').boundingBox()
    assert.ok(map && side && side.y >= map.y + map.height - 1, 'the lists come below the map')
    assert.ok(map.width <= 390)
    await phone.close()
  })
})
