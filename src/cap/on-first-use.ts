import { createRequire } from 'node:module'

const requireFromHere = createRequire(import.meta.url)

/**
 * A CommonJS package loaded the first time it is used, not when the server starts: the XML libraries of CAP (some
 * 400 kB of code with xml-crypto's XPath engine) cost memory in every server, and only those that sign, serve or
 * ingest a CAP document need them. Being required at run time, the package is also left out of the compiled bundle.
 */
export function onFirstUse<T>(name: string): () => T {
  let loaded: T | undefined
  return () => {
    loaded ??= requireFromHere(name) as T
    return loaded
  }
}
