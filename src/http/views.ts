import type { Static } from 'typebox'
import { alertView } from '../app/envelope.ts'
import type { CommandResult } from '../app/ports.ts'
import type { Alert, Notice } from '../core/alert.ts'
import type { RegionCoverage, RegionStatus } from '../core/coverage.ts'
import type { Region } from '../core/regions.ts'
import type { AlertView, NoticeView, RegionCoverageView, RegionStatusSchema, RegionView } from './schemas.ts'

/**
 * The public shapes of the native API, built from the core's types; their types are the view schemas' (`schemas.ts`).
 * `alertView` itself lives with the envelope (`src/app/envelope.ts`), which every sink carries.
 */

export const regionView = (r: Region): RegionView => ({
  id: r.id,
  level: r.level,
  category: r.category,
  parent: r.parent,
  oblast: r.oblast,
  name: r.name,
  iso: r.iso ?? null,
  uid: r.uid ?? null,
  koatuu: r.koatuu ?? null,
})

export const coverageView = (c: RegionCoverage): RegionCoverageView => ({
  status: c.status,
  byType: c.byType,
  since: c.since,
})

/** Whether two types are the same: each assignable to the other, with the same keys (optional ones included). */
type Same<A, B> = [A, keyof A] extends [B, keyof B] ? ([B, keyof B] extends [A, keyof A] ? true : false) : false
// The view schemas and the core types they show may not drift apart: a field added to one and not the other stops
// the type check here, so neither the schemas nor the web app's types (which are theirs) can fall behind the server.
true satisfies Same<AlertView, Alert & { active: boolean }>
true satisfies Same<NoticeView, Notice>
true satisfies Same<Static<typeof RegionStatusSchema>, RegionStatus>
true satisfies Same<RegionCoverageView, Pick<RegionCoverage, 'status' | 'byType' | 'since'>>
true satisfies Same<RegionView['level'] | RegionView['category'], Region['level'] | Region['category']>

/** The answer to a command, for every route that executes one: 201/200 with the alert, or 202 awaiting a second person. */
export function commandResultView(result: CommandResult): { statusCode: number; body: Record<string, unknown> } {
  if (result.outcome === 'pending') {
    const p = result.pending
    return {
      statusCode: 202,
      body: {
        state: 'pending_confirmation',
        code: 'confirmation_required',
        message: p.reason,
        pending: {
          id: p.id,
          requestedBy: p.requestedBy,
          reason: p.reason,
          createdAt: p.createdAt,
          expiresAt: p.expiresAt,
          command: p.command,
        },
      },
    }
  }
  return {
    statusCode: result.statusCode,
    body: {
      state: 'accepted',
      seq: result.events.at(-1)?.seq ?? null,
      alert: result.alert ? alertView(result.alert) : undefined,
    },
  }
}
