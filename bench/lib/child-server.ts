import type { Server } from 'node:http'

/**
 * Starts a bench's peer server in a child process: keep-alive as long as Sirena's (wrk holds its connections), a free
 * loopback port, `{ url }` reported over IPC once listening (what `startChildServer` waits for), and an exit when the
 * bench goes away. `onExit` runs first, to close what the peer holds open.
 */
export function servePeer(server: Server, onExit: () => void = () => {}): void {
  server.keepAliveTimeout = 65_000
  server.listen(0, '127.0.0.1', () => {
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('no address')
    process.send?.({ url: `http://127.0.0.1:${address.port}` })
  })
  process.on('disconnect', () => {
    onExit()
    process.exit(0)
  })
}

/**
 * The same for a Sirena started in a bench's child process: `{ url }` over IPC, and a clean close (the log's last
 * write, the broker, the workers) when the bench stops it or goes away.
 */
export function reportSirena(server: { url: string; close(): Promise<void> }): void {
  process.send?.({ url: server.url })
  const shutdown = async () => {
    await server.close()
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown())
  process.on('disconnect', () => void shutdown())
}
