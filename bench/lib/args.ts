import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { projectRoot } from './processes.ts'

type StringOptions = Record<string, { type: 'string'; default: string }>

/**
 * A bench's options, each `--name value` with a default, plus `--help`, which prints the bench's own doc comment
 * (the one at the top of its run.ts) and its options with their defaults. A mistake in the options prints the same
 * usage and exits with 2, as the CLI does.
 */
export function benchArgs<T extends StringOptions>(benchUrl: string, options: T): { [K in keyof T]: string } {
  const file = fileURLToPath(benchUrl)
  const usage = () => {
    const doc = /\/\*\*([\s\S]*?)\*\//.exec(readFileSync(file, 'utf8'))?.[1] ?? ''
    const text = doc
      .split('\n')
      .map((line) => line.replace(/^\s*\* ?/, ''))
      .join('\n')
      .trim()
    const width = Math.max(...Object.keys(options).map((name) => name.length), 4) + 2
    const flags = Object.entries(options).map(([name, o]) => `  --${name.padEnd(width)}default ${o.default}`)
    return `${text}\n\nusage: node --import tsx ${relative(projectRoot, file)} [options]\n${flags.join('\n')}\n  --${'help'.padEnd(width)}this text\n`
  }
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h' } } }).values
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${usage()}`)
    process.exit(2)
  }
  if (values.help) {
    process.stdout.write(usage())
    process.exit(0)
  }
  return values as { [K in keyof T]: string }
}
