import { SirenaError } from '../core/errors.ts'

/** The marker of a turn given up before it came (its waiter was answered `unavailable`). */
const expired = Symbol('expired')

/**
 * Serialises commands: each one decides against the state left by the previous one, so two all-clears for the same
 * alert cannot both pass the "is it active?" check. A promise chain, since the process is single-threaded.
 *
 * A waiter may bound its wait (`waitMs`): past it, it is answered `unavailable` and its turn, when it comes, is
 * skipped. What a turn itself does is bounded by its callers (every store call has a timeout), so no command can
 * hold the others for good.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(fn: () => Promise<T>, waitMs?: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    let gaveUp = false
    const turn = () => {
      clearTimeout(timer)
      if (gaveUp) throw expired
      return fn()
    }
    const result = this.tail.then(turn, turn)
    this.tail = result.catch(() => undefined)
    if (waitMs === undefined) return result
    return new Promise<T>((resolve, reject) => {
      timer = setTimeout(() => {
        gaveUp = true
        reject(new SirenaError('unavailable', 'the writer is busy; try again'))
      }, waitMs)
      result.then(resolve, (err) => {
        if (err !== expired) reject(err)
      })
    })
  }
}
