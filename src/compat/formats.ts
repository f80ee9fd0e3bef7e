import { createHash } from 'node:crypto'

/**
 * Wire formats of the two compat APIs. Each is what the public clients parse: alerts-in-ua-py reads alert times with
 * `%Y-%m-%dT%H:%M:%S.%fZ` and `meta.last_updated_at` with `%Y/%m/%d %H:%M:%S %z`; ukrainealarm (.NET) writes
 * microseconds and durations as TimeSpan objects.
 */

/** `2025-09-03T01:02:03.456Z`: alerts.in.ua alert times. */
export const isoMillis = (time: string | Date): string => new Date(time).toISOString()

/** `2025-09-03T01:02:03.456000Z`: ukrainealarm times (.NET prints microseconds; we know milliseconds). */
export const isoMicros = (time: string | Date): string => `${new Date(time).toISOString().slice(0, -1)}000Z`

const pad = (n: number) => String(n).padStart(2, '0')

/** `2025/09/03 01:02:03 +0000`: alerts.in.ua `meta.last_updated_at`. */
export function metaTime(time: Date): string {
  const d = time
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
}

/** A .NET `System.TimeSpan` as System.Text.Json writes it, with the properties listed in the ukrainealarm OpenAPI. */
export interface TimeSpan {
  ticks: number
  days: number
  hours: number
  milliseconds: number
  minutes: number
  seconds: number
  totalDays: number
  totalHours: number
  totalMilliseconds: number
  totalMinutes: number
  totalSeconds: number
}

export function timeSpan(ms: number): TimeSpan {
  const total = Math.max(0, Math.round(ms))
  return {
    ticks: total * 10_000,
    days: Math.floor(total / 86_400_000),
    hours: Math.floor(total / 3_600_000) % 24,
    milliseconds: total % 1000,
    minutes: Math.floor(total / 60_000) % 60,
    seconds: Math.floor(total / 1000) % 60,
    totalDays: total / 86_400_000,
    totalHours: total / 3_600_000,
    totalMilliseconds: total,
    totalMinutes: total / 60_000,
    totalSeconds: total / 1000,
  }
}

/**
 * The numeric `id` of an alerts.in.ua alert object: one per (Sirena alert, location). Derived, not stored, so every
 * process and every restart agrees, and the same object keeps its id from `active.json` into the history. Kept to
 * 31 bits because clients declare it as a signed 32-bit integer (ralertsinua: `id: i32`).
 */
export function compatAlertId(alertId: string, regionId: string): number {
  const h = createHash('sha256').update(`${alertId}/${regionId}`).digest()
  return h.readUInt32BE(0) & 0x7fffffff || 1
}

/** A location uid as the APIs spell it in a path or query: 1 to 6 digits. */
export function parseUid(raw: unknown): number | undefined {
  return typeof raw === 'string' && /^\d{1,6}$/.test(raw) ? Number(raw) : undefined
}
