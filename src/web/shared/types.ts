import type { Alert, AlertType, CapStatus, Notice } from '../../core/alert.ts'
import type { RegionCoverageView } from '../../http/schemas.ts'

export type {
  AlertView,
  PublicState,
  RegionCoverageView,
  RegionDetail,
  RegionInterval,
  RegionView,
} from '../../http/schemas.ts'
/**
 * The shapes the web reads from the native API: the types of the view schemas the server answers with
 * (src/http/schemas.ts). Imported as types only, so that no server code, TypeBox included, reaches the browser bundle.
 */
export type { Alert, AlertType, CapStatus, Notice }

export type RegionStatus = RegionCoverageView['status']
