import type { Aedes, AuthenticateError, Client } from 'aedes'
import type { DeviceDirectory } from '../../app/device-directory.ts'
import { canPublish, canSubscribe, type Principal } from './access.ts'
import type { Refusal, Refusals } from './refusals.ts'

/** CONNACK return codes of MQTT 3.1.1 (§3.2.2.3). */
const identifierRejected = 2
const badUsernameOrPassword = 4
const notAuthorised = 5

const connackError = (message: string, returnCode: number): AuthenticateError =>
  Object.assign(new Error(message), { returnCode }) as AuthenticateError

/**
 * Puts the access rules (`access.ts`) on the embedded aedes broker. Sirena's own publishing goes through
 * `broker.publish`, which skips these handlers; every network client meets them. A refused publish closes the
 * connection (MQTT 3.1.1 has no negative acknowledgement for PUBLISH); a refused subscription is answered with the
 * failure code 0x80 in its SUBACK and the connection stays up.
 */
export function secureBroker(
  broker: Aedes,
  o: {
    prefix: string
    anonymousRead: boolean
    devices: DeviceDirectory
    refusals: Refusals
    /** More topic filters anyone may read (Home Assistant discovery). */
    extraPublic?: readonly string[]
  },
): { principalOf: (client: Client) => Principal | undefined } {
  const principals = new WeakMap<Client, Principal>()
  const addressOf = (client: Client) => (client.conn as { remoteAddress?: string }).remoteAddress
  const refuse = (client: Client, r: Omit<Refusal, 'clientId' | 'address' | 'device'>) => {
    const p = principals.get(client)
    o.refusals.refuse({
      ...r,
      device: p && p.kind !== 'anonymous' ? p.id : null,
      clientId: client.id,
      address: addressOf(client),
    })
  }

  broker.authenticate = (client, username, password, done) => {
    void (async (): Promise<[AuthenticateError | null, boolean]> => {
      if (!username) {
        if (!o.anonymousRead) {
          refuse(client, { action: 'connect', reason: 'anonymous_disabled' })
          return [connackError('anonymous clients are not allowed', notAuthorised), false]
        }
        // A client id names a session, and a new connection under an id takes the old one over: an anonymous
        // client must not be able to knock a device off the broker by borrowing its id.
        if (await o.devices.get(client.id)) {
          refuse(client, { action: 'connect', reason: 'client_id_mismatch' })
          return [connackError('this client id belongs to a device', identifierRejected), false]
        }
        principals.set(client, { kind: 'anonymous' })
        return [null, true]
      }
      const device = await o.devices.login(username, password ?? '')
      if (!device) {
        refuse(client, { action: 'connect', reason: 'bad_credentials', subject: username.slice(0, 64) })
        return [connackError('bad user name or password', badUsernameOrPassword), false]
      }
      principals.set(client, { kind: device.kind, id: device.id })
      if (client.id !== device.id) {
        refuse(client, { action: 'connect', reason: 'client_id_mismatch', subject: username })
        return [connackError('a device connects with its id as client id', identifierRejected), false]
      }
      return [null, true]
    })().then(
      ([err, ok]) => done(err, ok),
      (err) => done(connackError(String(err), 3), false),
    )
  }

  broker.authorizePublish = (client, packet, done) => {
    // No client: a Last Will left by a broker instance that is gone. This broker keeps no such wills; refuse.
    if (!client) return done(new Error('no client'))
    const p = principals.get(client)
    if (p && canPublish(o.prefix, p, packet.topic)) return done(null)
    refuse(client, { action: 'publish', reason: 'topic_not_allowed', subject: packet.topic.slice(0, 200) })
    done(new Error(`not allowed to publish to ${packet.topic}`))
  }

  broker.authorizeSubscribe = (client, sub, done) => {
    const p = principals.get(client)
    if (p && canSubscribe(o.prefix, p, sub.topic, o.extraPublic)) return done(null, sub)
    refuse(client, { action: 'subscribe', reason: 'subscription_not_allowed', subject: sub.topic.slice(0, 200) })
    done(null, null)
  }

  return { principalOf: (client) => principals.get(client) }
}
