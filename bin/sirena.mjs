#!/usr/bin/env -S node --max-semi-space-size=4
// The `sirena` command. It runs the compiled server (dist/server, built by `npm start`'s prestart step) when that is
// current, and the TypeScript sources through tsx otherwise: in development, after an edit, and when
// SIRENA_FROM_SOURCES=1 (the tests) asks for it.
//
// `--max-semi-space-size=4` (here and in `npm start`) caps V8's young generation at 4 MB per semi-space instead of
// growing it to 16 MB for the start-up's burst of short-lived objects and keeping it until long idle: 13 MB less
// resident memory from the first seconds, for a server whose steady allocation rate is low (docs/bench.md).
import { serverBuildFresh, serverEntry } from '../scripts/server-build-state.mjs'

const compiled = process.env.SIRENA_FROM_SOURCES !== '1' && serverBuildFresh()
let main
if (compiled) {
  ;({ main } = await import(serverEntry))
} else {
  const { register } = await import('tsx/esm/api')
  register()
  ;({ main } = await import('../src/cli/main.ts'))
}
await main(process.argv)
