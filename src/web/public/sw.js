// Sirena's service worker: shows Web Push notifications for the resident's region (payload built by the server,
// see src/delivery/push/push-delivery.ts) and opens the region's page when one is tapped. It caches nothing: a stale
// alert map is worse than none.

self.addEventListener('install', () => self.skipWaiting())
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()))

self.addEventListener('push', (event) => {
  let data
  try {
    data = event.data ? event.data.json() : null
  } catch {
    data = null
  }
  if (!data || typeof data.title !== 'string') return
  event.waitUntil(
    self.registration.showNotification(data.title, {
      body: data.body,
      tag: data.tag,
      // A later message about the same alert (the all-clear) replaces the earlier one and still alerts.
      renotify: Boolean(data.tag),
      requireInteraction: Boolean(data.requireInteraction),
      icon: '/favicon.svg',
      badge: '/favicon.svg',
      lang: data.lang,
      data: { url: data.url || '/' },
    }),
  )
})

self.addEventListener('notificationclick', (event) => {
  event.notification.close()
  const url = new URL(event.notification.data?.url || '/', self.location.origin).href
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      for (const w of windows) {
        if (new URL(w.url).origin === self.location.origin) {
          w.navigate(url)
          return w.focus()
        }
      }
      return self.clients.openWindow(url)
    }),
  )
})
