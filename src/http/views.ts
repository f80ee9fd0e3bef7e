import { alertView } from '../app/envelope.ts'
import type { CommandResult } from '../app/sirena.ts'
import type { RegionCoverage } from '../core/coverage.ts'
import type { Region } from '../core/regions.ts'

/** The public shapes of the native API; the OpenAPI schemas in `schemas.ts` describe the same fields. */

export interface RegionView {
  id: string
  level: Region['level']
  category: Region['category']
  parent: string | null
  oblast: string
  name: Region['name']
  iso: string | null
  uid: number | null
  koatuu: string | null
}

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

export const coverageView = (c: RegionCoverage) => ({ status: c.status, byType: c.byType, since: c.since })

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
