import { existsSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { DeliveryStore } from '../core/delivery-state.ts'
import { SqliteDeliveryStore } from '../store/sqlite-delivery-store.ts'

/**
 * A cluster edge that used to be the one delivering edge kept the delivery state on its own disk (`<data>/sirena.db`:
 * native and ukrainealarm webhooks, their cursors, the Telegram cursors). On its first start as an edge like any other
 * it copies what PostgreSQL does not have yet, then sets the file aside (`sirena.db.imported`), so that no
 * registration is lost in the upgrade and none is copied twice. (Push subscriptions and VAPID keys are taken over by
 * the Web Push feature, in either mode.)
 */
export async function importLocalDeliveryState(dataDir: string, into: DeliveryStore, logger: Logger): Promise<void> {
  const file = join(dataDir, 'sirena.db')
  if (!existsSync(file)) return
  const local = new SqliteDeliveryStore(file)
  let copied = 0
  try {
    const cursors = new Map((await local.cursors()).map((c) => [c.targetId, c.deliveredSeq]))
    for (const w of await local.webhooks()) {
      const id = `webhook:${w.id}`
      if (await into.webhook(w.id)) continue
      await into.createWebhook(w, id, cursors.get(id) ?? 0)
      if (w.disabledAt) await into.disableWebhook(w.id, w.disabledReason ?? 'disabled', w.disabledAt, id)
      copied++
    }
    for (const r of await local.ukraineAlarmWebhooks()) {
      const id = `ukrainealarm:${r.issuerId}`
      if (await into.ukraineAlarmWebhook(r.issuerId)) continue
      await into.putUkraineAlarmWebhook(r.issuerId, r.url, r.createdAt, id, cursors.get(id) ?? 0)
      copied++
    }
    // Telegram and push service cursors: where the old edge stood, unless another edge already made one.
    for (const [id, seq] of cursors)
      if (id.startsWith('telegram:') || id.startsWith('web-push:')) await into.ensureCursor(id, seq)
  } finally {
    await local.close()
  }
  for (const suffix of ['', '-wal', '-shm'])
    if (existsSync(file + suffix)) renameSync(file + suffix, `${file}.imported${suffix}`)
  logger.info({ registrations: copied, file }, 'delivery state of this data directory moved to PostgreSQL')
}
