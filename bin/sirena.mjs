#!/usr/bin/env node
// The `sirena` command. It runs the compiled server (dist/server, built by `npm start`'s prestart step) when that is
// current, and the TypeScript sources through tsx otherwise: in development, after an edit, and when
// SIRENA_FROM_SOURCES=1 (the tests) asks for it.
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
