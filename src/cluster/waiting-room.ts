import { once } from 'node:events'
import http from 'node:http'
import type { Logger } from 'pino'
import { isSirenaError } from '../core/errors.ts'
import { unavailableRetryAfterSeconds } from '../http/error-handler.ts'

/**
 * Opens the log of record, waiting for as long as PostgreSQL is unreachable rather than exiting: a cluster edge
 * started during a database outage (or before the database, after a reboot) comes up by itself when it returns.
 * Meanwhile a stand-in server holds the edge's port: `/healthz` answers 200 (the process is alive), `/readyz` and every
 * other path 503 with the reason, so a load balancer keeps traffic away and a supervisor does not restart it.
 *
 * Only unavailability is waited out; any other failure (a broken chain, refused credentials) is thrown at once, for
 * an operator to fix. Returns the port the stand-in held (if it ran), for the real server to take over.
 */
export async function waitForLog(
  open: () => Promise<void>,
  listen: { host: string; port: number },
  logger: Logger,
): Promise<number | undefined> {
  try {
    await open()
    return undefined
  } catch (err) {
    if (!isSirenaError(err) || err.code !== 'unavailable') throw err
    logger.warn({ err: err.message }, 'the event log is unreachable; waiting for it, not ready')
    let reason = err.message
    const standIn = http.createServer((req, res) => {
      const alive = req.url?.split('?')[0] === '/healthz'
      res.writeHead(alive ? 200 : 503, {
        'content-type': 'application/json; charset=utf-8',
        ...(alive ? {} : { 'retry-after': String(unavailableRetryAfterSeconds) }),
      })
      res.end(
        JSON.stringify(
          alive
            ? { status: 'starting', reason }
            : req.url?.startsWith('/readyz')
              ? { ready: false, checks: { store: { ok: false, reason } } }
              : { code: 'unavailable', message: `the edge is waiting for its event log: ${reason}` },
        ),
      )
    })
    standIn.listen(listen.port, listen.host)
    await once(standIn, 'listening')
    const address = standIn.address()
    const port = typeof address === 'object' && address ? address.port : listen.port
    try {
      for (let delay = 500; ; delay = Math.min(delay * 2, 5000)) {
        await new Promise((r) => setTimeout(r, delay))
        try {
          await open()
          logger.warn('the event log answers; starting')
          return port
        } catch (again) {
          if (!isSirenaError(again) || again.code !== 'unavailable') throw again
          reason = again.message
        }
      }
    } finally {
      standIn.closeAllConnections()
      await new Promise((r) => standIn.close(r))
    }
  }
}
