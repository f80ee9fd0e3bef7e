import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, spawnTracked, stopChild } from './processes.ts'

export interface StaticNginx {
  url: string
  /** The master process; its worker does the serving. */
  pid: number
  close(): Promise<void>
}

/**
 * nginx on a loopback port serving fixed files, as the peer for read benches: one worker (a Node process also has
 * one thread serving requests), keep-alive without a request cap (wrk holds its connections), no access log. All its
 * files live in a temp dir; nothing of the system's nginx setup is used.
 */
export async function startStaticNginx(
  files: Array<{ path: string; body: Buffer; contentType: string }>,
): Promise<StaticNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'sirena-bench-nginx-'))
  // The worker runs as nobody when started by root, so the files must be readable by others.
  chmodSync(dir, 0o755)
  const www = join(dir, 'www')
  mkdirSync(www, { mode: 0o755 })
  const locations = files.map((f, i) => {
    const file = join(www, `f${i}`)
    writeFileSync(file, f.body, { mode: 0o644 })
    return `    location = ${f.path} { default_type '${f.contentType}'; alias ${file}; add_header cache-control no-cache; }`
  })
  const port = await freePort()
  const conf = join(dir, 'nginx.conf')
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 65s;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  server {
    listen 127.0.0.1:${port};
${locations.join('\n')}
  }
}
`,
  )
  const child = spawnTracked('nginx', ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf], 'inherit')
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) })
      break
    } catch (err) {
      if (i >= 50 || child.exitCode !== null)
        throw new Error(`nginx did not start (see ${join(dir, 'error.log')}): ${err}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  return {
    url,
    pid: child.pid!,
    async close() {
      await stopChild(child, 'SIGQUIT')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
