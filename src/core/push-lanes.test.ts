import assert from 'node:assert/strict'
import { test } from 'node:test'
import { laneOf, parsePushLane, pushLaneTargetId, pushLaneTargetIds } from './push-lanes.ts'

const fcm = 'https://fcm.googleapis.com'

test('a lane target id names its push service, its lane and the number of lanes, and reads back', () => {
  assert.equal(pushLaneTargetId({ origin: fcm, lane: 2, lanes: 4 }), `web-push:2/4:${fcm}`)
  assert.deepEqual(parsePushLane(`web-push:2/4:${fcm}`), { origin: fcm, lane: 2, lanes: 4 })
  // One lane is the id every push service had before lanes: its cursor goes on.
  assert.equal(pushLaneTargetId({ origin: fcm, lane: 0, lanes: 1 }), `web-push:${fcm}`)
  assert.deepEqual(parsePushLane(`web-push:${fcm}`), { origin: fcm, lane: 0, lanes: 1 })
  assert.equal(parsePushLane(`web-push:4/4:${fcm}`), null)
  assert.equal(parsePushLane('webhook:abc'), null)
})

test('lane-major ids: claiming in id order gives the first edge the first lanes of every push service', () => {
  const mozilla = 'https://updates.push.services.mozilla.com'
  const ids = [...pushLaneTargetIds(fcm, 4), ...pushLaneTargetIds(mozilla, 4)].sort()
  const firstEdge = ids.slice(0, 4).map((id) => parsePushLane(id)!)
  assert.deepEqual(firstEdge.map((l) => `${l.origin === fcm ? 'fcm' : 'moz'}#${l.lane}`).sort(), [
    'fcm#0',
    'fcm#1',
    'moz#0',
    'moz#1',
  ])
})

test('a subscription stays in its lane and the lanes share subscriptions about evenly', () => {
  const endpoints = Array.from({ length: 40_000 }, (_, i) => `${fcm}/fcm/send/${i.toString(36)}:APA91b${i * 7919}`)
  for (const lanes of [2, 4, 8]) {
    const counts = new Array<number>(lanes).fill(0)
    for (const e of endpoints) counts[laneOf(e, lanes)]!++
    const even = endpoints.length / lanes
    for (const n of counts) assert.ok(Math.abs(n - even) < even * 0.05, `${lanes} lanes: ${counts.join(', ')}`)
  }
  // Pinned: every edge and every release must put a subscription in the same lane.
  assert.deepEqual(
    endpoints.slice(0, 6).map((e) => laneOf(e, 4)),
    [0, 3, 3, 1, 3, 2],
  )
  assert.deepEqual(
    endpoints.slice(0, 6).map((e) => laneOf(e, 8)),
    [0, 7, 3, 5, 7, 2],
  )
  assert.equal(laneOf(`${fcm}/fcm/send/abc`, 1), 0)
})
