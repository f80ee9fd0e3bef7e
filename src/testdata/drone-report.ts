/**
 * A radar fix of a Shahed-type drone south-east of Kyiv, heading north-west for the city at 50 m/s: the track report
 * the tests send to `POST /api/v1/threats/tracks`. Fields in `over` replace the defaults.
 */
export const droneTowardsKyiv = (id: string, over: Record<string, unknown> = {}) => ({
  type: 'observed',
  id,
  kind: 'drone',
  lon: 30.85,
  lat: 50.25,
  headingDeg: 315,
  speedMps: 50,
  uncertaintyM: 500,
  observedAt: new Date().toISOString(),
  ...over,
})
