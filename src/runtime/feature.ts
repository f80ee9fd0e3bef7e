import type { Logger } from 'pino'
import type { DeviceDirectory } from '../app/device-directory.ts'
import type { Sirena } from '../app/sirena.ts'
import type { TrackEtaSlot } from '../app/track-etas.ts'
import type { DeliveryStore } from '../core/delivery-state.ts'
import type { Outbox } from '../delivery/outbox/outbox.ts'
import type { Sink } from '../delivery/sink.ts'
import type { StreamHub } from '../delivery/stream/stream-hub.ts'
import type { RouteContribution } from '../http/contribution.ts'
import type { Metrics } from '../http/metrics.ts'

/** Delivery state in the log of record, and this edge's share of the work (see `Outbox`). */
export interface Delivery {
  store: DeliveryStore
  outbox: Outbox
}

/**
 * What a feature is built from: the service, the live stream (for features that describe it), the MQTT device
 * directory, the delivery state and this edge's outbox, the metrics registry features add their own counters to, the
 * logger, and the ports between features (the tracks' ETAs).
 */
export interface FeatureContext {
  sirena: Sirena
  delivery: Delivery
  hub: StreamHub
  devices: DeviceDirectory
  metrics: Metrics
  logger: Logger
  /**
   * The threat tracks' ETAs per region: the threats feature provides its track engine here, the native region API
   * and the MQTT state read it. Empty (every ETA null) when no feature provides one.
   */
  trackEtas: TrackEtaSlot
  /** The server's data directory (the runtime's, whatever config a feature was made with), for a feature's own files. */
  dataDir: string
}

/**
 * A feature of the server (compat APIs, CAP, web, channels, MQTT, threats, statistics): the sinks it delivers
 * through, the routes it adds to the HTTP adapter, and anything else it must release on stop. The runtime starts the
 * sinks, mounts the routes and stops everything in order; a feature never hooks into Fastify's lifecycle itself.
 */
export interface Feature {
  readonly name: string
  sinks?: Sink[]
  routes?: RouteContribution
  /** Releases what is not a sink (a worker thread, an engine's timers), after the sinks have stopped. */
  close?(): Promise<void> | void
}

export type FeatureFactory = (ctx: FeatureContext) => Feature | Promise<Feature>
