import { ThreatEngine } from '../app/threat-engine.ts'
import { TrackEngine, type TrackMode } from '../app/track-engine.ts'
import { capHttp } from '../cap/http.ts'
import { compatApis } from '../compat/index.ts'
import type { Config } from '../config.ts'
import { defaultTrackEngineConfig, type TrackEngineConfig } from '../core/track.ts'
import { hromadaSamplesFromDataFiles } from '../geo/hromada-samples.ts'
import { statsHttp } from '../history/http.ts'
import { threatRoutes } from '../http/routes/threats.ts'
import { trackRoutes } from '../http/routes/tracks.ts'
import { webExtension } from '../web-server/index.ts'
import { outboxChannels } from './channels.ts'
import type { FeatureFactory } from './feature.ts'
import { mqttChannel } from './mqtt.ts'
import { trackJournalFile } from './track-journal-file.ts'

/**
 * Everything the server runs beside the native API, and every sink an event leaves through:
 *
 * | feature | sinks | routes |
 * |---|---|---|
 * | (runtime) | `stream`: SSE and WebSocket subscribers | `/api/v1/stream`, `/api/v1/ws` |
 * | statistics | — | `/api/v1/stats/…` |
 * | web | `web-push` | `/`, `/console`, `/api/v1/push/…` |
 * | compat | `ukrainealarm-webhooks` | `/v1/…`, `/api/v3/…` |
 * | CAP | `cap`: signed documents and the Atom feed | `/cap/…` |
 * | channels | `channels`: Telegram chats and native webhooks | `/api/v1/webhooks` |
 * | threats | — (raises alerts through the service) | `/api/v1/threats`, `/api/v1/threats/tracks` |
 * | MQTT | `mqtt`: retained state, siren commands | `/api/v1/sirens` |
 *
 * The outbox sinks (`channels`, `ukrainealarm-webhooks`, `web-push`) run on every edge and share their targets through
 * leases in the delivery store; `SIRENA_CHANNELS_ENABLED=false` keeps an edge from taking any (it still accepts
 * registrations and shows every target).
 */
export function defaultFeatures(config: Config): FeatureFactory[] {
  return [
    statsHttp,
    webExtension(config),
    compatApis(config),
    capHttp(config),
    outboxChannels(config),
    threatsFeature(config),
    ...(config.mqttEnabled ? [mqttChannel(config)] : []),
  ]
}

/**
 * The threat engine and the track engine (both raise and end alerts through the service) and their API under
 * `/api/v1`.
 */
export const threatsFeature =
  (
    config: Pick<Config, 'threatAutoRaise'> & Partial<Pick<Config, 'trackMode' | 'trackAutoOblasts'>>,
    /** Tests shorten the engine's clocks (dwell, tick) here. */
    tuning: { tracks?: Partial<TrackEngineConfig>; tickMs?: number } = {},
  ): FeatureFactory =>
  async ({ sirena, trackEtas, dataDir }) => {
    const engine = new ThreatEngine(sirena, { autoRaise: config.threatAutoRaise })
    await engine.start()
    const modes = new Map<string, TrackMode>()
    for (const id of (config.trackAutoOblasts ?? '').split(',').map((s) => s.trim())) {
      if (id) modes.set(sirena.resolveRegions([id])[0]!, 'auto')
    }
    const tracks = new TrackEngine(sirena, {
      config: { ...defaultTrackEngineConfig, ...tuning.tracks },
      ...(tuning.tickMs !== undefined && { tickMs: tuning.tickMs }),
      defaultMode: config.trackMode ?? 'recommend',
      modes,
      samples: () => hromadaSamplesFromDataFiles(),
      journal: trackJournalFile(dataDir, sirena.logger),
    })
    await tracks.restore()
    tracks.start()
    trackEtas.provide(tracks.read)
    return {
      name: 'threats',
      routes: async ({ app }) => {
        await app.register(threatRoutes(sirena, engine), { prefix: '/api/v1' })
        await app.register(trackRoutes(sirena, tracks), { prefix: '/api/v1' })
      },
      close: async () => {
        trackEtas.provide(null)
        engine.stop()
        await tracks.stop()
      },
    }
  }
