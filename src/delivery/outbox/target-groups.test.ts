import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pushLaneTargetIds } from '../../core/push-lanes.ts'
import { groupShares, handBackOrder } from './target-groups.ts'

const fcm = pushLaneTargetIds('https://fcm.googleapis.com', 4)
const moz = pushLaneTargetIds('https://updates.push.services.mozilla.com', 2)
const hooks = Array.from({ length: 20 }, (_, i) => `webhook:${String(i).padStart(2, '0')}`)
const all = ['telegram:@kyiv', ...fcm, ...moz, ...hooks]

test('an edge holding every lane of a push service hands back all but its part, however many webhooks there are', () => {
  // 27 targets, 2 edges: a share of 14 would let one edge keep all four FCM lanes.
  const held = ['telegram:@kyiv', ...fcm, ...moz, ...hooks.slice(0, 7)]
  const { over, full } = groupShares(held, all, 2)
  assert.deepEqual(over, [moz[1], fcm[2], fcm[3]])
  assert.deepEqual(full, [], 'it holds no lane it may not keep, so it claims none')
  // The other edge, holding what was handed back, may take no more FCM lanes.
  const other = groupShares([fcm[2]!, fcm[3]!], all, 2)
  assert.deepEqual(other.over, [])
  assert.deepEqual(other.full, [fcm[0], fcm[1]])
  // Alone, an edge holds every lane.
  assert.deepEqual(groupShares(held, all, 1).over, [])
})

test('handing back for the total spreads lanes first (down to one a group), then the last targets in id order', () => {
  const held = ['telegram:@kyiv', ...fcm, ...hooks.slice(0, 3)]
  assert.deepEqual(handBackOrder(held, 5), [fcm[3], fcm[2], fcm[1], hooks[2], hooks[1]])
})
