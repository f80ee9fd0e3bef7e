import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { droneTowardsKyiv } from '../src/testdata/drone-report.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'
import { ensureWebBuild, launchBrowser, seriousViolations, skipBrowser, text } from './web-browser.ts'

const bucha = 'UA32080070000050759'
const lvivCity = 'UA46060250000025047'

describe('the operator console in a browser', { skip: skipBrowser }, () => {
  let server: TestServer
  let browser: Browser
  let operator: { id: string; token: string }
  let supervisor: { id: string; token: string }
  let page: Page

  const open = async (token: string | null): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, timezoneId: 'Europe/Kyiv' })
    const p = await context.newPage()
    p.setDefaultTimeout(10_000)
    await p.goto(`${server.url}/console`)
    if (token) await signIn(p, token)
    return p
  }
  const signIn = async (p: Page, token: string) => {
    await p.getByLabel('Токен видавця').fill(token)
    await p.getByRole('button', { name: 'Увійти' }).click()
    await p.waitForSelector('.zoom path[data-id]')
  }
  const pick = async (p: Page, query: string, id: string) => {
    await p.getByLabel('Додати регіон').fill(query)
    await p.locator(`.search-result[data-region="${id}"]`).click()
    await p.waitForSelector(`.chip[data-region="${id}"]`)
  }
  const issueAndConfirm = async (p: Page) => {
    await p.locator('form.issue-form button[type=submit]').click()
    await p.getByRole('button', { name: 'Так, виконати' }).click()
    await p.waitForSelector('form.issue-form .outcome')
    return text(p.locator('form.issue-form .outcome'))
  }
  const regionStatus = async (id: string, status = 'Actual') =>
    (await server.call('GET', `/api/v1/regions/${id}?status=${status}`)).json.status as string

  before(async () => {
    await ensureWebBuild()
    server = await startTestServer()
    operator = await server.addIssuer({ name: 'Черговий КОВА', role: 'operator', jurisdiction: [regions.kyivOblast] })
    supervisor = await server.addIssuer({
      name: 'Старший зміни КОВА',
      role: 'supervisor',
      jurisdiction: [regions.kyivOblast],
    })
    browser = await launchBrowser()
    page = await open(null)
  })
  after(async () => {
    await browser?.close()
    await server?.close()
  })

  test('a wrong token is refused with the server’s reason; the operator’s own token signs in', async () => {
    await page.getByLabel('Токен видавця').fill('sir_not-a-real-token')
    await page.getByRole('button', { name: 'Увійти' }).click()
    assert.match(await text(page.getByRole('alert')), /unauthorized/)
    await signIn(page, operator.token)
    assert.match(await text(page.locator('.whoami')), /Черговий КОВА · operator/)
    assert.match(await text(page.locator('.whoami')), /Київська область/)
  })

  test('an operator issues an alert for a hromada in their jurisdiction, after a preview of what residents get', async () => {
    await pick(page, 'Бучанська', bucha)
    const preview = page.locator('.preview')
    assert.match(
      await text(preview.locator('.phone-notification[lang=uk]')),
      /Повітряна тривога: Бучанська міська громада/,
    )
    assert.match(await text(preview.locator('.phone-notification[lang=en]')), /Air raid alert: Bucha Urban Hromada/)
    assert.match(await text(preview.locator('.preview-item[lang=uk]')), /Прямуйте до найближчого укриття/)
    const telegram = await text(preview.locator('.telegram-message'))
    assert.match(telegram, /🔴 Повітряна тривога!\nБучанська міська громада/)
    assert.match(telegram, /Air raid alert!\nBucha Urban Hromada/)
    assert.match(await issueAndConfirm(page), /Тривогу оголошено/)
    assert.equal(await regionStatus(bucha), 'active')
  })

  test('regions outside the jurisdiction are greyed out and cannot be chosen, by search or on the map', async () => {
    await page.getByLabel('Додати регіон').fill('Львівська')
    const outside = page.locator(`.search-result[data-region="${lvivCity}"]`)
    assert.equal(await outside.getAttribute('aria-disabled'), 'true')
    assert.match(await text(outside), /поза вашою юрисдикцією/)
    // A click, forced past its aria-disabled, still chooses nothing.
    await outside.click({ force: true })
    assert.equal(await page.locator('.chip').count(), 0)
    await page.getByLabel('Додати регіон').fill('')

    await page.getByRole('radio', { name: 'Громади' }).check()
    const onMap = page.locator(`.zoom path[data-id="${lvivCity}"]`)
    assert.match((await onMap.getAttribute('class'))!, /\bdis\b/)
    await onMap.click({ force: true })
    assert.match(await text(page.locator('.console-map [role=alert]')), /поза вашою юрисдикцією — не обрано/)
    assert.equal(await page.locator('.chip').count(), 0)
  })

  test('a chemical alert waits for a second person, who confirms it from their own console', async () => {
    await pick(page, 'Ірпінська', 'UA32080150000035443')
    await page.getByRole('radio', { name: 'Хімічна загроза' }).check()
    assert.match(await text(page.locator('.second-person')), /Потрібне підтвердження другою особою/)
    assert.match(await issueAndConfirm(page), /Очікує підтвердження/)
    assert.equal(await regionStatus('UA32080150000035443'), 'none', 'nothing is public before the second person')

    await page.getByRole('tab', { name: /Підтвердження/ }).click()
    const own = page.locator('.pending-item').first()
    assert.equal(await own.getByRole('button', { name: 'Підтвердити' }).isDisabled(), true)
    assert.match(await text(own), /Ваш запит/)

    const second = await open(supervisor.token)
    await second.getByRole('tab', { name: /Підтвердження/ }).click()
    const item = second.locator('.pending-item', { hasText: 'Хімічна загроза' })
    assert.match(await text(item), /Запит: Черговий КОВА/)
    await item.getByRole('button', { name: 'Підтвердити' }).click()
    assert.match(await text(second.locator('.pending .outcome')), /Підтверджено/)
    assert.equal(await regionStatus('UA32080150000035443'), 'active')
    const alerts = (await server.call('GET', '/api/v1/alerts')).json.alerts as Array<{
      type: string
      confirmedBy: string
    }>
    assert.equal(alerts.find((a) => a.type === 'chemical')?.confirmedBy, supervisor.id)
    await second.context().close()
  })

  test('a false alarm is cancelled with one click and a confirmation; an all-clear the same way', async () => {
    await page.getByRole('tab', { name: /Активні/ }).click()
    const chemical = page.locator('.console-alert', { hasText: 'Хімічна загроза' })
    await chemical.getByRole('button', { name: 'Скасувати (помилкова)' }).click()
    const dialog = page.getByRole('dialog')
    assert.match(await text(dialog), /оголошено помилково/)
    await dialog.getByRole('button', { name: 'Скасувати (помилкова)' }).click()
    await page.waitForSelector('.active-alerts .outcome:has-text("Тривогу скасовано")')
    assert.equal(await regionStatus('UA32080150000035443'), 'none')
    const ended = (await server.call('GET', '/api/v1/alerts?active=false')).json.alerts as Array<{
      type: string
      endReason: string
    }>
    assert.equal(ended.find((a) => a.type === 'chemical')?.endReason, 'cancelled')

    const air = page.locator('.console-alert', { hasText: 'Бучанська міська громада' })
    await air.getByRole('button', { name: 'Відбій' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Відбій' }).click()
    await page.waitForSelector('.active-alerts .outcome:has-text("Відбій дано")')
    assert.equal(await regionStatus(bucha), 'none')
  })

  test('an exercise is marked unmistakably and never reaches the public map', async () => {
    await page.getByRole('tab', { name: 'Оголосити тривогу' }).click()
    await pick(page, 'Бучанська', bucha)
    await page.locator('input[name=status][value=Exercise]').check()
    assert.match(await text(page.locator('form.issue-form > .drill-strip')), /НЕ зʼявиться на публічній мапі/i)
    assert.match(await text(page.locator('form.issue-form button[type=submit]')), /НАВЧАННЯ/)
    assert.match(await issueAndConfirm(page), /Тривогу оголошено/)
    assert.equal(await regionStatus(bucha), 'none')
    assert.equal(await regionStatus(bucha, 'Exercise'), 'active')
  })

  test('a notice is published for regions in the jurisdiction', async () => {
    await page.getByRole('tab', { name: 'Повідомлення' }).click()
    await pick(page, 'Бучанська', bucha)
    await page.getByRole('button', { name: 'Опублікувати повідомлення' }).click()
    await page.waitForSelector('form.notice-form .outcome:has-text("Повідомлення опубліковано")')
    const notice = (await server.call('GET', `/api/v1/regions/${bucha}`)).json.latestNotice
    assert.match(notice.text.uk, /Працює протиповітряна оборона/)
  })

  test('a duty officer sees the track engine’s proposals with ETAs and what is flying, and accepts an oblast with one click', async () => {
    const upstream = await server.addIssuer({
      name: 'Повітряні сили',
      role: 'upstream',
      jurisdiction: [regions.kyivOblast, regions.kyivCity],
    })
    // A Shahed-type drone south-east of Kyiv, heading north-west at 50 m/s; both units are in recommend mode.
    const drone = droneTowardsKyiv('console-d1')
    const report = await server.call('POST', '/api/v1/threats/tracks', {
      token: upstream.token,
      body: { reports: [drone] },
    })
    assert.equal(report.status, 200, report.text)
    assert.equal(report.json.alerts.length, 0, 'recommend mode raises nothing by itself')
    const proposed = (
      await server.call('GET', '/api/v1/threats/tracks/proposals', { token: operator.token })
    ).json.proposals.filter((p: any) => p.oblastId === regions.kyivOblast && p.action === 'warn')
    assert.ok(proposed.length > 0)

    await page.getByRole('tab', { name: /Треки загроз/ }).click()
    const oblast = page.locator(`.track-oblast[data-oblast="${regions.kyivOblast}"]`)
    await oblast.waitFor()
    assert.equal(await oblast.locator('.track-proposal').count(), proposed.length)
    const first = oblast.locator(`.track-proposal[data-hromada="${proposed[0].hromadaId}"]`)
    assert.match(await text(first), /Тривога .+ · о \d\d:\d\d \(за .+\) · ударні БпЛА/)
    // Kyiv city is a unit of its own, outside this officer's jurisdiction: its proposals are shown, not theirs to accept.
    const city = page.locator(`.track-oblast[data-oblast="${regions.kyivCity}"]`)
    assert.equal(await city.getByRole('button').isDisabled(), true)
    assert.deepEqual(await seriousViolations(page), [])

    await oblast.getByRole('button', { name: /Прийняти для: Київська область/ }).click()
    assert.match(await text(page.locator('.track-proposals .outcome')), /тривог оголошено — 1/)
    await oblast.waitFor({ state: 'detached' })
    const raised = (await server.call('GET', '/api/v1/alerts')).json.alerts.find(
      (a: any) => a.source === 'threat' && a.regions.includes(proposed[0].hromadaId),
    )
    assert.equal(raised?.issuerId, operator.id, 'raised in the name of the officer who accepted')
    assert.ok(raised.threatWindow, 'with the window the threat is expected in')
    assert.equal(await regionStatus(proposed[0].hromadaId), 'active')
  })

  test('the audit shows accepted and refused actions with who and why; the hash chain verifies in the browser', async () => {
    const second = await open(supervisor.token)
    await second.getByRole('tab', { name: 'Аудит' }).click()
    await second.waitForSelector('.audit-table tbody tr')
    const audit = await text(second.locator('.audit-table'))
    assert.match(audit, /alert\.issue/)
    assert.match(audit, /Черговий КОВА/)
    assert.match(audit, /відмовлено/)
    assert.match(audit, /unauthorized/)

    await second.getByRole('tab', { name: 'Журнал подій' }).click()
    await second.waitForSelector('.chain-status.ok')
    const head = (await server.call('GET', '/api/v1/events?limit=1')).json.head as number
    assert.match(await text(second.locator('.chain-status')), new RegExp(`Цілий: ${head} подій`))
    assert.equal(await second.locator('.log-table tbody tr').count(), head)

    assert.deepEqual(await seriousViolations(second), [])
    await second.getByRole('tab', { name: 'Оголосити тривогу' }).click()
    await pick(second, 'Бучанська', bucha)
    assert.deepEqual(await seriousViolations(second), [])
    await second.context().close()
  })

  test('an operator may not read the audit', async () => {
    await page.getByRole('tab', { name: 'Аудит' }).click()
    assert.match(await text(page.locator('.tab-panel')), /Аудит доступний ролям supervisor і admin/)
  })

  test('a revoked token signs the console out and says why', async () => {
    await server.sirena.revokeIssuer(operator.id)
    await page.getByRole('tab', { name: 'Активні' }).click()
    await page.waitForSelector('#token')
    assert.match(await text(page.locator('.login')), /Сеанс завершено/)
    assert.deepEqual(await seriousViolations(page), [])
  })
})
