/**
 * The in-page siren: a wailing tone made with Web Audio (no sound file to download). Browsers allow sound only after
 * the user has touched the page, so `unlock()` is called from the click that turns the sound on; after a reload the
 * page asks for one tap.
 */
export class Siren {
  private ctx: AudioContext | null = null
  private stopAt = 0
  private nodes: { osc: OscillatorNode; gain: GainNode } | null = null

  get unlocked(): boolean {
    return this.ctx?.state === 'running'
  }

  async unlock(): Promise<boolean> {
    try {
      this.ctx ??= new AudioContext()
      if (this.ctx.state !== 'running') await this.ctx.resume()
      return this.ctx.state === 'running'
    } catch {
      return false
    }
  }

  get playing(): boolean {
    return this.nodes !== null && (this.ctx?.currentTime ?? 0) < this.stopAt
  }

  /** A rising and falling tone, the sound of an air-raid siren, for `seconds`. */
  wail(seconds = 10) {
    const ctx = this.ctx
    if (ctx?.state !== 'running') return
    this.stop()
    const osc = ctx.createOscillator()
    const gain = ctx.createGain()
    osc.type = 'sawtooth'
    const t0 = ctx.currentTime
    const cycle = 2.5
    for (let t = 0; t < seconds; t += cycle) {
      osc.frequency.setValueAtTime(420, t0 + t)
      osc.frequency.linearRampToValueAtTime(920, t0 + t + cycle / 2)
      osc.frequency.linearRampToValueAtTime(420, t0 + t + cycle)
    }
    gain.gain.setValueAtTime(0, t0)
    gain.gain.linearRampToValueAtTime(0.18, t0 + 0.3)
    gain.gain.setValueAtTime(0.18, t0 + seconds - 0.5)
    gain.gain.linearRampToValueAtTime(0, t0 + seconds)
    osc.connect(gain).connect(ctx.destination)
    osc.start(t0)
    osc.stop(t0 + seconds)
    this.stopAt = t0 + seconds
    this.nodes = { osc, gain }
    osc.onended = () => {
      if (this.nodes?.osc === osc) this.nodes = null
    }
  }

  stop() {
    if (!this.nodes) return
    try {
      this.nodes.osc.stop()
    } catch {
      // Already stopped.
    }
    this.nodes = null
  }
}
