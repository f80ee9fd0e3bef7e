import type { Logger } from 'pino'
import type { DeliveryEdge } from '../core/delivery-state.ts'
import type { Sink, SinkStatus } from '../delivery/sink.ts'

/** This edge and the edges sharing the deliveries, for the cluster-wide view. */
export interface DeliveryView {
  edge: string
  edges(): DeliveryEdge[]
}

/**
 * Every sink of this server, in start order: the live stream first, then each feature's (see `features.ts` for which
 * feature brings which). `GET /api/v1/channels` reads this registry.
 */
export class Sinks {
  constructor(
    private readonly all: readonly Sink[],
    private readonly logger: Logger,
    private readonly deliveryView?: DeliveryView,
  ) {}

  /** Which edge this is and which edges deliver, when the server has an outbox. */
  delivery(): { edge: string; edges: DeliveryEdge[] } | undefined {
    const d = this.deliveryView
    return d && { edge: d.edge, edges: d.edges() }
  }

  names(): string[] {
    return this.all.map((s) => s.name)
  }

  async start(): Promise<void> {
    for (const s of this.all) await s.start?.()
  }

  /** In reverse start order; a sink that fails to stop is logged and the others still stop. */
  async stop(): Promise<void> {
    for (const s of [...this.all].reverse()) {
      await s.stop().catch((err) => this.logger.error({ err, sink: s.name }, 'a sink failed to stop cleanly'))
    }
  }

  status(headSeq: number): SinkStatus[] {
    return this.all.map((s) => s.status(headSeq))
  }
}
