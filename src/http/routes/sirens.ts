import type { FastifyInstance } from 'fastify'

/** `GET /api/v1/sirens`: what sirens last reported over MQTT, as the MQTT sink's registry reads it. */
export function sirensRoute(app: FastifyInstance, read: () => { broker: string; sirens: unknown[] }): void {
  app.get(
    '/api/v1/sirens',
    { schema: { tags: ['public'], summary: 'Sirens heard over MQTT: last acknowledgement and health' } },
    async () => read(),
  )
}
