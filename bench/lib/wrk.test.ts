import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseWrk } from './wrk.ts'

describe('wrk output', () => {
  test("wrk's summary is read with latencies converted to milliseconds", () => {
    const output = `Running 8s test @ http://127.0.0.1:8080/api/v1/state
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.12ms    1.01ms  30.00ms   90.00%
    Req/Sec    10.85k   400.00    11.50k    70.00%
  Latency Distribution
     50%  850.00us
     75%    4.50ms
     90%    5.00ms
     99%    1.20s
  86800 requests in 8.00s, 14.36GB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 1, write 0, timeout 2
Requests/sec:  10848.51
Transfer/sec:      1.80GB
`
    assert.deepEqual(parseWrk(output), {
      requestsPerSec: 10848.51,
      requests: 86800,
      p50Ms: 0.85,
      p99Ms: 1200,
      errors: 6,
    })
    assert.throws(() => parseWrk('wrk: connection refused'), /unexpected wrk output/)
  })
})
