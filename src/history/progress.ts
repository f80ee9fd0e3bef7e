import cliProgress from 'cli-progress'

/**
 * Progress for the history commands: a bar (cli-progress) on a terminal, plain lines otherwise, so a log file or CI
 * output gets a few readable lines instead of a stream of carriage returns.
 */
export interface Progress {
  /** Starts a phase (`appending`) of `total` units. */
  phase(name: string, total: number): void
  update(done: number, detail?: string): void
  stop(): void
}

/** Plain lines: one when a phase starts, then one per tenth done. */
class LineProgress implements Progress {
  private name = ''
  private total = 0
  private lastTenth = -1

  constructor(private readonly out: NodeJS.WritableStream) {}

  phase(name: string, total: number) {
    this.name = name
    this.total = total
    this.lastTenth = -1
    this.update(0)
  }

  update(done: number, detail?: string) {
    const tenth = this.total > 0 ? Math.floor((done / this.total) * 10) : 10
    if (tenth === this.lastTenth) return
    this.lastTenth = tenth
    const pct = this.total > 0 ? Math.round((done / this.total) * 100) : 100
    this.out.write(`${this.name}: ${done}/${this.total} (${pct}%)${detail ? ` ${detail}` : ''}\n`)
  }

  stop() {}
}

class BarProgress implements Progress {
  private bar: cliProgress.SingleBar | null = null

  constructor(private readonly out: NodeJS.WritableStream) {}

  phase(name: string, total: number) {
    this.bar?.stop()
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.out,
        format: `${name.padEnd(10)} [{bar}] {percentage}% {value}/{total} {detail}`,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    )
    this.bar.start(total, 0, { detail: '' })
  }

  update(done: number, detail = '') {
    this.bar?.update(done, { detail })
  }

  stop() {
    this.bar?.stop()
    this.bar = null
  }
}

export function createProgress(out: NodeJS.WriteStream = process.stderr): Progress {
  return out.isTTY ? new BarProgress(out) : new LineProgress(out)
}
