import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The examples are programs, not tests; running them here keeps them from rotting.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const TSX = createRequire(join(ROOT, 'package.json')).resolve('tsx')
const RUN_TIMEOUT_MS = 20_000

/** Run an example the way its README says; resolves with its exit code and output, killing it past the bound. */
function runExample(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', TSX, '--conditions=source', join(ROOT, file)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      fail(new Error(`${file} did not exit within ${RUN_TIMEOUT_MS} ms:\n${stdout}\n${stderr}`))
    }, RUN_TIMEOUT_MS)
    child.once('error', fail)
    child.once('exit', (code) => {
      clearTimeout(timer)
      done({ code, stdout, stderr })
    })
  })
}

const lines = (text: string) => text.split('\n').filter(Boolean)

describe('examples/node-service', () => {
  it('two-clients.ts: presence both ways, messages both ways, a request, a leave, and exit 0', async () => {
    const { code, stdout, stderr } = await runExample('examples/node-service/two-clients.ts')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const out = lines(stdout)
    expect(out[0]).toMatch(/^server listening on ws:\/\/127\.0\.0\.1:\d+\/$/)
    expect(out).toEqual(
      expect.arrayContaining([
        '[ada] presence: bob joined',
        '[bob] presence: ada joined',
        '[ada] members: ada, bob',
        '[bob] members: ada, bob',
        '[bob] #1 hello bob',
        '[ada] #2 hi ada',
        '[bob] #3 bye for now',
        '[ada] room.info -> members=ada,bob seq=3',
        '[ada] presence: bob left',
      ]),
    )
    expect(out.at(-1)).toBe('done')
  })

  it('history-catch-up.ts: a gap on rejoin, the missed range served from the app log, no holes, and exit 0', async () => {
    const { code, stdout, stderr } = await runExample('examples/node-service/history-catch-up.ts')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const out = lines(stdout)
    expect(out).toEqual(
      expect.arrayContaining([
        '[reader] live #1 first',
        '[reader] live #2 second',
        "[reader] gap: missed #3..12 (expired), asking the app's history",
        '[reader] caught up 10 from history: #3 #4 #5 #6 #7 #8 #9 #10 #11 #12',
        '[reader] live #13 after the return',
        '[reader] has #1..#13, 13 items, no holes',
      ]),
    )
    // Nothing of the missed range arrived live: it came from the app's history only.
    expect(out.filter((line) => /live #([3-9]|1[0-2]) /.test(line))).toEqual([])
    expect(out.at(-1)).toBe('done')
  })
})
