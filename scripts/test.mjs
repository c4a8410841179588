// The one test command (`pnpm test`, and so CI): every check in order, failing fast, then a
// summary table. Output of each step streams through unchanged while it is captured to read
// the test counts.
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

const BIN = 'node_modules/.bin'
/** Bound on any one step, well inside CI's 90 minutes for the whole run. */
const STEP_TIMEOUT_MS = 25 * 60 * 1000

const hasTypeTests = () =>
  readdirSync('packages', { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .some((d) => {
      try {
        return readdirSync(join('packages', d.name, 'test'), { recursive: true }).some((f) => String(f).endsWith('.test-d.ts'))
      } catch {
        return false
      }
    })

const STEPS = [
  { name: 'typecheck', cmd: [`${BIN}/tsc`, '--noEmit', '-p', 'tsconfig.json'] },
  { name: 'unit', cmd: [`${BIN}/vitest`, 'run', '--project', 'unit'], counts: 'vitest' },
  { name: 'integration', cmd: [`${BIN}/vitest`, 'run', '--project', 'integration'], counts: 'vitest' },
  {
    name: 'types',
    cmd: [`${BIN}/vitest`, 'run', '--project', 'types'],
    counts: 'vitest',
    skip: () => (hasTypeTests() ? undefined : 'no *.test-d.ts files'),
  },
  { name: 'build', cmd: [`${BIN}/rollup`, '-c', '--silent'] },
  { name: 'publint', cmd: [process.execPath, 'scripts/publint.mjs'] },
  { name: 'runtimes', cmd: [process.execPath, 'scripts/runtimes.mjs'] },
  { name: 'size', cmd: [process.execPath, 'scripts/size.mjs'] },
  { name: 'chromium', cmd: [process.execPath, 'scripts/chromium.mjs'] },
  { name: 'e2e', cmd: [`${BIN}/playwright`, 'test'], counts: 'playwright' },
]

// For local use only (CI passes no arguments): `--from build` starts at a step,
// `--only unit,e2e` runs just those.
function selection(argv) {
  const value = (flag) => {
    const i = argv.indexOf(flag)
    return i >= 0 ? argv[i + 1] : undefined
  }
  const names = STEPS.map((s) => s.name)
  const only = value('--only')?.split(',')
  const from = value('--from')
  for (const name of [...(only ?? []), ...(from ? [from] : [])]) {
    if (!names.includes(name)) {
      console.error(`unknown step "${name}"; steps: ${names.join(', ')}`)
      process.exit(2)
    }
  }
  return (name) => (only ? only.includes(name) : from ? names.indexOf(name) >= names.indexOf(from) : true)
}
const selected = selection(process.argv.slice(2))

const stripAnsi = (text) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')

/** Counts from vitest's `Tests  1 failed | 40 passed | 2 skipped (43)` line. */
function vitestCounts(output) {
  const line = /^\s*Tests\s+(.*\(\d+\).*)$/m.exec(output)?.[1]
  if (!line) return undefined
  const counts = { passed: 0, failed: 0, skipped: 0 }
  for (const [, n, kind] of line.matchAll(/(\d+) (passed|failed|skipped|todo)/g)) {
    counts[kind === 'todo' ? 'skipped' : kind] += Number(n)
  }
  // A file that fails to load runs no test; count it as a failure so the totals never read
  // "0 failed" for a red run.
  const failedFiles = Number(/^\s*Test Files\s+(\d+) failed/m.exec(output)?.[1] ?? 0)
  if (counts.failed === 0 && failedFiles > 0) {
    counts.failed = failedFiles
    counts.note = `${failedFiles} test file(s) failed to run`
  }
  return counts
}

/** Counts from Playwright's closing lines: `3 passed (4.2s)`, `1 failed`, `1 flaky`, `2 skipped`. */
function playwrightCounts(output) {
  const counts = { passed: 0, failed: 0, skipped: 0 }
  let found = false
  for (const [, n, kind] of output.matchAll(/^\s*(\d+) (passed|failed|flaky|skipped|did not run|interrupted)\b/gm)) {
    found = true
    if (kind === 'passed') counts.passed += Number(n)
    else if (kind === 'skipped' || kind === 'did not run') counts.skipped += Number(n)
    // A flaky test failed at least once; with retries off it cannot happen, but never hide it.
    else counts.failed += Number(n)
  }
  return found ? counts : undefined
}

function run(step) {
  return new Promise((done) => {
    const [command, ...args] = step.cmd
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : {}) },
      detached: true,
    })
    let output = ''
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk)
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      process.stderr.write(chunk)
      output += chunk
    })
    const timer = setTimeout(() => {
      console.error(`\n${step.name}: no result after ${STEP_TIMEOUT_MS / 60000} min, stopping it`)
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }, STEP_TIMEOUT_MS)
    child.on('error', (error) => {
      clearTimeout(timer)
      output += String(error)
      console.error(`${step.name}: ${error.message}`)
      done({ code: 1, output })
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      done({ code: code ?? (signal ? 1 : 0), output })
    })
  })
}

const results = []
let failed = false
for (const step of STEPS) {
  if (!selected(step.name)) {
    results.push({ name: step.name, status: 'not selected' })
    continue
  }
  if (failed) {
    results.push({ name: step.name, status: 'not run' })
    continue
  }
  console.log(`\n━━━ ${step.name}: ${step.cmd.join(' ')}`)
  const skipReason = step.skip?.()
  if (skipReason) {
    console.log(`${step.name}: skipped (${skipReason})`)
    results.push({ name: step.name, status: 'skipped', note: skipReason })
    continue
  }
  const started = performance.now()
  const { code, output } = await run(step)
  const seconds = (performance.now() - started) / 1000
  const text = stripAnsi(output)
  const counts = step.counts === 'vitest' ? vitestCounts(text) : step.counts === 'playwright' ? playwrightCounts(text) : undefined
  const status = code === 0 ? 'passed' : 'FAILED'
  results.push({ name: step.name, status, seconds, counts })
  if (code !== 0) {
    console.error(`\n${step.name}: exited with ${code}; stopping here`)
    failed = true
  }
}

const describe = (counts) =>
  counts ? `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped${counts.note ? ` (${counts.note})` : ''}` : ''
const rows = results.map((r) => [r.name, r.status, r.seconds === undefined ? '' : `${r.seconds.toFixed(1)}s`, describe(r.counts) || r.note || ''])
const header = ['step', 'status', 'time', 'tests']
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)))
const line = (cells) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()
console.log(`\n${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}`)
for (const row of rows) console.log(line(row))

const total = { passed: 0, failed: 0, skipped: 0 }
for (const { counts } of results) {
  if (!counts) continue
  for (const key of Object.keys(total)) total[key] += counts[key]
}
console.log(`\ntests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`)
process.exit(failed ? 1 : 0)
