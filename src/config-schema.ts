import { Type } from 'typebox'

/**
 * Every setting in one typed tree: key, default and purpose together. The env name derives from the key
 * (`port` → `SIRENA_PORT`, `confirmationTtlMinutes` → `SIRENA_CONFIRMATION_TTL_MINUTES`); CLI flags override env.
 * `sirena config` prints the effective values and these descriptions.
 */
export const configSchema = Type.Object({
  host: Type.String({ default: '127.0.0.1', description: 'Address the HTTP server listens on.' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'HTTP port (0 picks a free one).' }),
  data: Type.String({ default: './var', minLength: 1, description: 'Data directory: the SQLite log, keys, state.' }),
  mode: Type.Union([Type.Literal('embedded'), Type.Literal('cluster')], {
    default: 'embedded',
    description:
      'embedded: one process, SQLite log, in-process bus. cluster: PostgreSQL log of record, NATS JetStream bus, any number of edges.',
  }),
  postgresUrl: Type.String({
    default: 'postgres://postgres@127.0.0.1:5432/sirena',
    minLength: 1,
    description:
      'Cluster mode: PostgreSQL holding the log of record, issuers and audit (postgres://user:pass@host/db).',
  }),
  postgresSchema: Type.String({
    default: 'sirena',
    pattern: '^[a-z_][a-z0-9_]{0,62}$',
    description: 'Cluster mode: schema of the tables, created if missing; one schema per deployment.',
  }),
  postgresPoolSize: Type.Integer({
    minimum: 2,
    maximum: 200,
    default: 10,
    description: 'Cluster mode: PostgreSQL connections per edge; a command holds one for its write lock.',
  }),
  natsUrl: Type.String({
    default: 'nats://127.0.0.1:4222',
    minLength: 1,
    description: 'Cluster mode: NATS server(s) with JetStream, comma-separated.',
  }),
  natsStream: Type.String({
    default: 'SIRENA_EVENTS',
    pattern: '^[A-Za-z0-9_-]+$',
    description: 'Cluster mode: JetStream stream carrying the events, created if missing; one per log.',
  }),
  natsSubject: Type.String({
    default: 'sirena.events',
    pattern: '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$',
    description: 'Cluster mode: subject the events are published on.',
  }),
  outboxRelayIntervalMs: Type.Integer({
    minimum: 100,
    default: 1000,
    description:
      'Cluster mode: how often each edge republishes events a crashed writer left unpublished; bounds that delay.',
  }),
  adminToken: Type.Optional(
    Type.String({
      minLength: 16,
      description: 'If set, ensures an admin issuer with nationwide jurisdiction holding this bearer token.',
    }),
  ),
  publicUrl: Type.Optional(
    Type.String({ description: 'Base URL residents reach Sirena at, used in links (CAP `web`, feeds).' }),
  ),
  capSender: Type.Optional(
    Type.String({
      minLength: 1,
      pattern: '^[^\\s,<&]+$',
      description:
        'CAP `sender` of published messages (no spaces or commas); defaults to the host of publicUrl, else "sirena".',
    }),
  ),
  capSigningKey: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'PEM RSA private key that signs CAP documents; default <data>/cap-signing-key.pem, generated on first start.',
    }),
  ),
  capUpstreamKey: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'PEM public key or certificate of the CAP upstream; when set, POST /cap/ingest accepts only documents it signed.',
    }),
  ),
  capIngestMaxBytes: Type.Integer({
    minimum: 1024,
    maximum: 16 * 1024 * 1024,
    default: 1024 * 1024,
    description:
      'Largest CAP document POST /cap/ingest accepts; IPAWS messages with inline images reach a few hundred KB.',
  }),
  logLevel: Type.Union(
    [
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('trace'),
      Type.Literal('silent'),
    ],
    { default: 'info', description: 'Log level (pino).' },
  ),
  confirmationTtlMinutes: Type.Integer({
    minimum: 1,
    maximum: 1440,
    default: 15,
    description: 'How long an alert awaiting a second person stays confirmable before it expires.',
  }),
  threatAutoRaise: Type.Boolean({
    default: true,
    description:
      'Raise air-raid alerts (one per oblast) for the regions an upstream threat report targets; off records threats only.',
  }),
  trackMode: Type.Union([Type.Literal('recommend'), Type.Literal('auto'), Type.Literal('off')], {
    default: 'recommend',
    description:
      'What threat tracks do in an oblast not listed in trackAutoOblasts: recommend (propose warnings to a duty officer), auto (raise and end alerts) or off.',
  }),
  trackAutoOblasts: Type.String({
    default: '',
    description:
      'Comma-separated oblasts (ISO 3166-2 or KATOTTG) where threat tracks raise and end alerts by themselves.',
  }),
  bodyLimitBytes: Type.Integer({
    minimum: 1024,
    maximum: 16 * 1024 * 1024,
    default: 256 * 1024,
    description: 'Largest accepted request body; alerts are small, so anything bigger is refused early.',
  }),
  rateLimitPerMinute: Type.Integer({
    minimum: 1,
    default: 600,
    description:
      'Requests per minute per verified issuer (or per client address) on the native API’s writes and store-backed reads; cached public reads are not limited.',
  }),
  failedAuthPerMinute: Type.Integer({
    minimum: 1,
    default: 30,
    description:
      'Failed authentications per client address and minute; past it the address gets auth_rate_limited without its tokens being checked.',
  }),
  trustedProxies: Type.String({
    default: '127.0.0.1',
    pattern: '^(none|[0-9A-Fa-f:.]+(/[0-9]{1,3})?( *, *[0-9A-Fa-f:.]+(/[0-9]{1,3})?)*)$',
    description:
      'Addresses or CIDRs (comma-separated) of the reverse proxies whose X-Forwarded-For gives the client address; none trusts none.',
  }),
  streamHeartbeatMs: Type.Integer({
    minimum: 1000,
    default: 15000,
    description: 'SSE heartbeat interval; under typical proxy idle timeouts (30-60 s), not so often it drains phones.',
  }),
  channelsEnabled: Type.Boolean({
    default: true,
    description:
      'Take a share of the outbound deliveries (Telegram, webhooks, Web Push, ukrainealarm webhooks). Every edge delivers by default, each target held by one edge at a time (docs/cluster.md); false opts this edge out of delivering. Registrations are accepted either way.',
  }),
  deliveryLeaseMs: Type.Integer({
    minimum: 1000,
    default: 6000,
    description:
      'How long an edge holds a delivery target without renewing (renewed every third of it): an edge that dies leaves its targets to the others after at most this plus one renewal.',
  }),
  edgeId: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      description:
        'This edge in GET /api/v1/channels and the delivery leases; default <hostname>:<pid>:<random>, new at each start.',
    }),
  ),
  mqttEnabled: Type.Boolean({ default: true, description: 'Run the MQTT channel (embedded broker, or mqttUrl).' }),
  mqttHost: Type.String({ default: '127.0.0.1', description: 'Address the embedded MQTT broker listens on.' }),
  mqttPort: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 1883,
    description: 'Port of the embedded MQTT broker (1883 is often taken by a system Mosquitto; 0 picks a free one).',
  }),
  mqttUrl: Type.Optional(
    Type.String({ description: 'External broker (mqtt://host:1883) instead of the embedded one, as in cluster mode.' }),
  ),
  mqttTopicPrefix: Type.String({
    default: 'sirena',
    pattern: '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$',
    description: 'Root of every MQTT topic Sirena publishes.',
  }),
  mqttTlsCert: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'PEM certificate (chain) file: with mqttTlsKey, the embedded broker also listens for mqtts on mqttTlsPort.',
    }),
  ),
  mqttTlsKey: Type.Optional(Type.String({ minLength: 1, description: 'PEM private key file of mqttTlsCert.' })),
  mqttTlsPort: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 8883,
    description: 'Port of the embedded broker’s TLS listener (mqtts), used when mqttTlsCert and mqttTlsKey are set.',
  }),
  mqttSigningKey: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'PEM Ed25519 private key that signs siren commands; default <data>/siren-signing-key.pem, generated on first start. Cluster edges share one.',
    }),
  ),
  mqttCommandTtlSeconds: Type.Integer({
    minimum: 5,
    maximum: 3600,
    default: 60,
    description: 'A siren command expires this long after it is issued: a siren ignores one a broker held back longer.',
  }),
  mqttAckTimeoutMs: Type.Integer({
    minimum: 100,
    default: 5000,
    description: 'How long a siren has to acknowledge a command before it is sent again.',
  }),
  mqttAckRetries: Type.Integer({
    minimum: 0,
    maximum: 20,
    default: 3,
    description: 'How many times an unacknowledged siren command is sent again before the siren counts as unacked.',
  }),
  mqttHeartbeatTimeoutSeconds: Type.Integer({
    minimum: 1,
    default: 90,
    description:
      'A siren heard from neither by health report, acknowledgement nor status for this long counts as offline (3 missed 30 s heartbeats).',
  }),
  mqttHomeAssistant: Type.Boolean({
    default: false,
    description:
      'Publish Home Assistant MQTT discovery: a retained binary_sensor config per region (mqttHomeAssistantRegions) and alert type.',
  }),
  mqttHomeAssistantRegions: Type.String({
    default: '',
    description:
      'Comma-separated regions (any id form) for Home Assistant discovery; empty for the 27 oblast-level units.',
  }),
  mqttHomeAssistantPrefix: Type.String({
    default: 'homeassistant',
    pattern: '^[A-Za-z0-9_.-]+$',
    description: 'Home Assistant’s MQTT discovery prefix.',
  }),
  mqttAnonymousRead: Type.Boolean({
    default: true,
    description:
      'Embedded broker: let clients without credentials subscribe (read only) to the public state topics. Off for closed networks: then only devices added with `sirena device add` connect.',
  }),
  streamMaxBufferedBytes: Type.Integer({
    minimum: 16 * 1024,
    default: 1024 * 1024,
    description: 'A stream subscriber further behind than this is dropped (it resumes with Last-Event-ID).',
  }),
  streamReplayMaxEvents: Type.Integer({
    minimum: 0,
    default: 10_000,
    description:
      'How many log positions behind the head a stream client may resume (Last-Event-ID, ?after=); further back it gets a resync frame and re-reads /api/v1/state.',
  }),
  streamMaxReplays: Type.Integer({
    minimum: 1,
    default: 64,
    description: 'Stream replays (clients resuming from the log) at once; beyond it, 503 stream_replays_busy.',
  }),
  streamMaxReplaysPerIp: Type.Integer({
    minimum: 1,
    default: 8,
    description: 'Stream replays at once from one client address; beyond it, 429 stream_replay_limited.',
  }),
  alertsInUaRateLimitPerMinute: Type.Integer({
    minimum: 1,
    default: 12,
    description:
      'alerts.in.ua-compatible /v1 reads per minute per token (or per IP without one); 12 is the original hard limit.',
  }),
  alertsInUaHistoryRateLimitPerMinute: Type.Integer({
    minimum: 1,
    default: 2,
    description:
      'alerts.in.ua-compatible history reads (/v1/regions/{uid}/alerts/…) per minute per token, as the original.',
  }),
  ukrainealarmRateLimitPerMinute: Type.Integer({
    minimum: 1,
    default: 60,
    description:
      'ukrainealarm-compatible /api/v3 requests per minute per key (or IP); Home Assistant polls each region every 10 s.',
  }),
  compatAnonymousRead: Type.Boolean({
    default: false,
    description:
      'Let compat API reads without any key through (rate-limited per IP), for keyless clients such as the siren.pp.ua wrapper Home Assistant uses.',
  }),
  compatWebhookRetryBaseMs: Type.Integer({
    minimum: 10,
    default: 1000,
    description:
      'ukrainealarm webhooks: wait before the first retry; each further retry waits twice as long, up to channelRetryMaxMs.',
  }),
  compatWebhookAllowPrivateTargets: Type.Boolean({
    default: false,
    description:
      'Let webhooks target loopback and private addresses. Off so that an API key cannot probe the internal network.',
  }),
  channelRetryBaseMs: Type.Integer({
    minimum: 10,
    default: 1000,
    description:
      'Telegram, webhook and Web Push deliveries: wait before the first retry; each further retry waits twice as long.',
  }),
  channelRetryMaxMs: Type.Integer({
    minimum: 10,
    default: 5 * 60_000,
    description: 'Longest wait between two delivery attempts; a target that stays down is retried this often, forever.',
  }),
  channelFailingAfterAttempts: Type.Integer({
    minimum: 1,
    default: 5,
    description:
      'Failed attempts in a row after which a delivery target is reported as failing (GET /api/v1/channels).',
  }),
  webhooksEnabled: Type.Boolean({
    default: true,
    description: 'Serve /api/v1/webhooks and deliver native webhooks (Standard Webhooks signatures).',
  }),
  webhookAllowPrivateTargets: Type.Boolean({
    default: false,
    description:
      'Let native webhooks target loopback and private addresses. Off so that an API key cannot probe the internal network.',
  }),
  webhookTimeoutMs: Type.Integer({
    minimum: 100,
    default: 10_000,
    description: 'How long one webhook POST may take before it counts as failed and is retried.',
  }),
  webhookMaxPerIssuer: Type.Integer({
    minimum: 1,
    default: 10,
    description: 'Most native webhooks one issuer (API key) may hold.',
  }),
  telegramBotToken: Type.Optional(
    Type.String({ minLength: 1, description: 'Bot API token from @BotFather; Telegram channels are off without it.' }),
  ),
  telegramApiRoot: Type.String({
    default: 'https://api.telegram.org',
    pattern: '^https?://',
    description: 'Bot API server: the public one, a self-hosted telegram-bot-api, or an emulator in tests.',
  }),
  telegramChannels: Type.String({
    default: '[]',
    description:
      'JSON list of channels the bot posts to, e.g. [{"chat":"@kyiv_alerts","regions":["UA-30"]}]; add "includeExercises":true only for a test channel.',
  }),
  webPushSubject: Type.String({
    default: 'mailto:webpush@sirena.invalid',
    pattern: '^(mailto:|https://)',
    description: 'VAPID contact (mailto: or https: URL) that push services use to reach the operator; set a real one.',
  }),
  webPushMaxSubscriptions: Type.Integer({
    minimum: 1,
    default: 500_000,
    description: 'Most Web Push subscriptions stored; bounds what an anonymous caller can make the server keep.',
  }),
  webPushLanes: Type.Integer({
    minimum: 1,
    maximum: 64,
    default: 4,
    description:
      'Lanes per push service: its subscriptions are split by a hash of their endpoint into this many outbox targets, so up to this many edges send one alert to one push service together. Set the same value on every edge.',
  }),
  webPushAllowInsecureEndpoints: Type.Boolean({
    default: false,
    description: 'Accept http:// and loopback push endpoints. Only for tests with a local fake push service.',
  }),
})
