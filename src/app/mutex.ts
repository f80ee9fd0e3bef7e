/**
 * Serialises commands: each one decides against the state left by the previous one, so two all-clears for the same
 * alert cannot both pass the "is it active?" check. A promise chain, since the process is single-threaded.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn)
    this.tail = result.catch(() => undefined)
    return result
  }
}
