import type { Alert, AlertType, CapStatus, Notice } from '../../core/alert.ts'

/** The shapes the web reads from the native API (see src/http/views.ts and routes). */
export type { Alert, AlertType, CapStatus, Notice }

export type RegionStatus = 'active' | 'partial' | 'none'

export interface AlertView extends Alert {
  active: boolean
}

export interface RegionCoverageView {
  status: RegionStatus
  byType: Partial<Record<AlertType, RegionStatus>>
  since: string | null
}

export interface PublicState {
  seq: number
  hash: string
  status: CapStatus
  regions: Record<string, RegionCoverageView>
  alerts: AlertView[]
}

export interface RegionView {
  id: string
  level: 'oblast' | 'raion' | 'hromada'
  category: string
  parent: string | null
  oblast: string
  name: { uk: string; en: string }
}

export interface RegionDetail extends RegionCoverageView {
  region: RegionView
  alerts: AlertView[]
  children: Array<{ id: string; name: { uk: string; en: string }; status: RegionStatus }>
  latestNotice: Notice | null
  seq: number
}

export interface RegionInterval {
  alertId: string
  regionId: string
  type: AlertType
  status: CapStatus
  source: string
  startedAt: string
  endedAt: string | null
  endReason: 'all_clear' | 'cancelled' | null
}
