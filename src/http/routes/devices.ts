import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { type Static, Type } from 'typebox'
import type { DeviceDirectory } from '../../app/device-directory.ts'
import type { Sirena } from '../../app/sirena.ts'
import { SirenaError } from '../../core/errors.ts'
import type { DeviceRecord } from '../../core/records.ts'
import { requireIssuer } from '../auth.ts'
import { RegionIdSchema } from '../schemas.ts'

const AddDeviceBody = Type.Object(
  {
    kind: Type.Union([Type.Literal('siren'), Type.Literal('display')]),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    region: Type.Optional(RegionIdSchema),
    id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' })),
    drills: Type.Optional(Type.Boolean({ description: 'A siren that also sounds in an Exercise addressed to it' })),
  },
  { additionalProperties: false },
)
const DeviceParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })

/** A device as the API shows it: everything but the password hash. */
export const deviceView = ({ passwordHash: _, ...d }: DeviceRecord) => d

/**
 * `/api/v1/devices` (admins): MQTT credentials for sirens and displays. The password is in the answer to the POST
 * and nowhere else; only its hash is kept.
 */
export const deviceRoutes =
  (sirena: Sirena, devices: DeviceDirectory, onChange: (revoked?: string) => void): FastifyPluginAsync =>
  async (app) => {
    app.addHook('preHandler', requireIssuer(sirena))
    app.addHook('preHandler', async (request: FastifyRequest) => {
      if (request.issuer!.role !== 'admin') throw new SirenaError('forbidden', 'only an admin manages devices')
    })
    const tags = ['devices']
    const security = [{ bearer: [] }]

    app.get(
      '/devices',
      { schema: { tags, security, summary: 'MQTT devices: sirens and displays (admins)' } },
      async () => ({
        devices: (await devices.list()).map(deviceView),
      }),
    )

    app.post<{ Body: Static<typeof AddDeviceBody> }>(
      '/devices',
      {
        schema: {
          tags,
          security,
          body: AddDeviceBody,
          summary: 'Add a device; the answer holds its MQTT user name and password, shown once (admins)',
        },
      },
      async (request, reply) => {
        const b = request.body
        const region = b.region === undefined ? null : sirena.resolveRegions([b.region])[0]!
        const { device, password } = await devices.add(
          { kind: b.kind, name: b.name, region, id: b.id, drills: b.drills },
          request.issuer!.id,
        )
        onChange()
        return reply.code(201).send({ device: deviceView(device), username: device.id, password })
      },
    )

    app.delete<{ Params: Static<typeof DeviceParams> }>(
      '/devices/:id',
      { schema: { tags, security, params: DeviceParams, summary: 'Revoke a device: it cannot log in again (admins)' } },
      async (request) => {
        if (!(await devices.revoke(request.params.id, request.issuer!.id)))
          throw new SirenaError('not_found', `no active device ${request.params.id}`)
        onChange(request.params.id)
        return { revoked: request.params.id }
      },
    )
  }
