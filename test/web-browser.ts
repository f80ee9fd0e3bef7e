import { execSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AxeBuilder } from '@axe-core/playwright'
import { type Browser, chromium, type Locator, type Page } from 'playwright-core'

/**
 * Shared by the real-browser tests: Debian's chromium driven by playwright-core, and a fresh build of the web app.
 * Outside CI a machine without chromium skips these tests with a message; in CI (`CI=true`) a missing browser fails.
 */
export const chromiumPath = process.env.SIRENA_CHROMIUM ?? '/usr/bin/chromium'
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]

/** `false` when the browser tests can run, else why they are skipped. */
export const skipBrowser: string | false =
  existsSync(chromiumPath) || process.env.CI === 'true'
    ? false
    : `chromium is not installed at ${chromiumPath} (apt-get install chromium)`

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`chromium is required in CI and missing at ${chromiumPath}`)
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs })
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const built = join(root, 'dist', 'web', 'index.html')
const lock = join(root, 'dist', '.web-build-lock')

function newestSource(dir: string): number {
  let newest = 0
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    const st = statSync(p)
    newest = Math.max(newest, st.isDirectory() ? newestSource(p) : st.mtimeMs)
  }
  return newest
}

/**
 * Builds the web app when `dist/web` is missing or older than its sources. Test files run in parallel, so the build
 * happens under a lock and the second file finds it fresh.
 */
export async function ensureWebBuild(): Promise<void> {
  mkdirSync(dirname(lock), { recursive: true })
  const deadline = Date.now() + 120_000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      if (Date.now() > deadline) throw new Error(`another build holds ${lock}; remove it if no build is running`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  try {
    if (!existsSync(built) || statSync(built).mtimeMs < newestSource(join(root, 'src', 'web'))) {
      execSync('npm run build:web', { cwd: root, stdio: 'pipe' })
    }
  } finally {
    rmdirSync(lock)
  }
}

/** axe-core's findings that a screen-reader or keyboard user would hit: serious and critical ones. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id}: ${v.help} (${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join('; ')})`,
    )
}

/** The text of an element, for assertions ('' when it has none). */
export const text = async (l: Locator): Promise<string> => (await l.textContent()) ?? ''
