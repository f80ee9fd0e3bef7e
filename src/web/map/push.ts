import { api, getJson } from '../shared/api.ts'
import type { Lang } from '../shared/labels.ts'

export type PushSupport = 'unsupported' | 'denied' | 'available'

export function pushSupport(): PushSupport {
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) return 'unsupported'
  if (Notification.permission === 'denied') return 'denied'
  return 'available'
}

const keyBytes = (base64url: string): Uint8Array<ArrayBuffer> => {
  const b64 = base64url.replace(/-/g, '+').replace(/_/g, '/')
  const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4))
  const out = new Uint8Array(raw.length)
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i)
  return out
}

/**
 * Subscribes this browser to pushes for one region: the service worker (`/sw.js`) shows them. Re-subscribing with
 * another region replaces the old choice on the server (one endpoint, one region).
 */
export async function subscribePush(region: string, lang: Lang): Promise<string> {
  const registration = await navigator.serviceWorker.register('/sw.js', { scope: '/' })
  await navigator.serviceWorker.ready
  const { publicKey } = await getJson<{ publicKey: string }>('/api/v1/push/key')
  const existing = await registration.pushManager.getSubscription()
  const subscription =
    existing ??
    (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) }))
  await api('/api/v1/push/subscriptions', {
    method: 'POST',
    body: { subscription: subscription.toJSON(), region, lang },
  })
  return subscription.endpoint
}

export async function unsubscribePush(): Promise<void> {
  const registration = await navigator.serviceWorker.getRegistration('/')
  const subscription = await registration?.pushManager.getSubscription()
  if (!subscription) return
  await api('/api/v1/push/subscriptions', { method: 'DELETE', body: { endpoint: subscription.endpoint } }).catch(
    () => undefined,
  )
  await subscription.unsubscribe()
}
