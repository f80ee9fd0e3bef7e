import type { Command } from 'commander'
import * as apikey from './apikey.ts'
import * as device from './device.ts'
import * as importHistory from './import-history.ts'
import * as replay from './replay.ts'
import * as scenario from './scenario.ts'
import * as sirenSim from './siren-sim.ts'
import * as stats from './stats.ts'

/**
 * Commands that features add to `sirena` (import-history, stats, replay, apikey …). Each lives in its own file in
 * this folder and exports `register(program)`; add one line below.
 */
export function registerFeatureCommands(program: Command): void {
  apikey.register(program)
  device.register(program)
  importHistory.register(program)
  stats.register(program)
  replay.register(program)
  scenario.register(program)
  sirenSim.register(program)
}
