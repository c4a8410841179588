// Lints every package as it would be published (what `pnpm pack` puts in the tarball) and fails
// on any error or warning; suggestions are printed but do not fail.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'

const PACKAGES_DIR = resolve('packages')

/** Lint what `pnpm pack` would publish (it understands `workspace:*`); npm is the fallback. */
async function lint(pkgDir) {
  try {
    return await publint({ pkgDir, pack: 'pnpm', level: 'suggestion', strict: false })
  } catch (error) {
    console.log(`publint: \`pnpm pack\` failed in ${pkgDir} (${String(error?.message ?? error).split('\n')[0]}); trying npm`)
    return await publint({ pkgDir, pack: 'npm', level: 'suggestion', strict: false })
  }
}

const dirs = readdirSync(PACKAGES_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(PACKAGES_DIR, d.name, 'package.json')))
  .map((d) => join(PACKAGES_DIR, d.name))
  .sort()

let failed = 0
for (const dir of dirs) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  const { messages } = await lint(dir)
  const count = (type) => messages.filter((m) => m.type === type).length
  const errors = count('error')
  const warnings = count('warning')
  const suggestions = count('suggestion')
  const bad = errors + warnings > 0
  if (bad) failed++
  console.log(
    `publint: ${bad ? 'FAIL' : 'ok  '} ${pkg.name.padEnd(18)} ${errors} error(s), ${warnings} warning(s), ${suggestions} suggestion(s)`,
  )
  for (const message of messages) {
    console.log(`  ${message.type.padEnd(10)} ${message.code}: ${formatMessage(message, pkg) ?? ''}`)
  }
}

if (failed > 0) {
  console.error(`publint: ${failed} of ${dirs.length} package(s) have errors or warnings`)
  process.exit(1)
}
console.log(`publint: all ${dirs.length} packages clean`)
