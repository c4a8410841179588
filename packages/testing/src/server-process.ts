import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { TestingError } from './testing-error.js'

/** Path of the Mooring server CLI in this repository (same relative place from `src/` and `dist/`). */
export const MOORING_SERVER_CLI: string = fileURLToPath(new URL('../../server/src/cli.ts', import.meta.url))

/** The one line the CLI prints when it accepts connections; group 1 is the URL, group 3 the port. */
export const READY_LINE: RegExp = /^mooring-server listening on (ws:\/\/(\[[^\]]+\]|[^:/\s]+):(\d+)(\/\S*)?)\s*$/

export interface ServerProcessOptions {
  /**
   * Extra CLI arguments, after `--port` and `--host`.
   * @default []
   */
  args?: string[]
  /**
   * Port to listen on; 0 lets the server pick one. `restart()` always reuses the port it got.
   * @default 0
   */
  port?: number
  /**
   * Interface to listen on.
   * @default '127.0.0.1'
   */
  host?: string
  /**
   * Environment variables merged over `process.env`.
   * @default {}
   */
  env?: Record<string, string | undefined>
  /**
   * Script to run instead of the Mooring CLI (it must print the same ready line).
   * @default MOORING_SERVER_CLI
   */
  script?: string
  /**
   * Node flags before the script. TypeScript runs through tsx; `source` resolves workspace packages to `src/`.
   * @default ['--import', <tsx loader URL>, '--conditions=source']
   */
  nodeArgs?: string[]
  /**
   * Working directory of the child.
   * @default process.cwd()
   */
  cwd?: string
  /**
   * Bound on waiting for the ready line.
   * @default 15000
   */
  readyTimeoutMs?: number
  /**
   * Bound on waiting for the process to exit after a signal.
   * @default 15000
   */
  exitTimeoutMs?: number
  /**
   * How long `restart()` keeps retrying while the old port is still busy (EADDRINUSE).
   * @default 5000
   */
  portRetryMs?: number
  /**
   * Captured output kept for `output()` and error messages; older text is dropped first.
   * @default 65536
   */
  maxOutputChars?: number
}

export const SERVER_PROCESS_DEFAULTS = {
  args: [] as readonly string[],
  port: 0,
  host: '127.0.0.1',
  readyTimeoutMs: 15_000,
  exitTimeoutMs: 15_000,
  portRetryMs: 5_000,
  maxOutputChars: 65_536,
} as const

const PORT_RETRY_PAUSE_MS = 100
const ERROR_TAIL_CHARS = 4_000

/** Which captured stream `output()` returns. */
export type OutputStream = 'all' | 'stdout' | 'stderr'

type ResolvedOptions = Omit<ServerProcessOptions, 'args'> &
  Required<Pick<ServerProcessOptions, 'port' | 'host' | 'readyTimeoutMs' | 'exitTimeoutMs' | 'portRetryMs' | 'maxOutputChars'>> & {
    args: readonly string[]
  }

interface Run {
  child: ChildProcess
  exited: Promise<void>
  stdout: string
  stderr: string
}

// Children must not outlive a crashed or interrupted test run.
const liveChildren = new Set<ChildProcess>()
let exitHookInstalled = false
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', () => {
      for (const live of liveChildren) live.kill('SIGKILL')
    })
  }
  liveChildren.add(child)
  child.once('exit', () => liveChildren.delete(child))
}

/**
 * The Mooring server CLI (or another script printing its ready line) as a child process, so a
 * test can SIGKILL it and bring it back on the same port.
 *
 * @example
 * await using server = await ServerProcess.start()
 * await server.kill()        // SIGKILL: clients see 1006
 * await server.restart()     // same port, waits for the ready line
 */
export class ServerProcess implements AsyncDisposable {
  private readonly options: ResolvedOptions
  private run: Run | undefined
  private readyUrl = ''
  private readyPort = 0
  private log: Array<{ stream: 'stdout' | 'stderr'; text: string }> = []
  private logChars = 0

  /** Spawns the server and resolves once it printed its ready line. */
  static async start(options: ServerProcessOptions = {}): Promise<ServerProcess> {
    const server = new ServerProcess(options)
    await server.launch(server.options.port)
    return server
  }

  private constructor(options: ServerProcessOptions) {
    this.options = { ...SERVER_PROCESS_DEFAULTS, ...options }
  }

  /** The port the server listens on (the same across restarts). */
  get port(): number {
    return this.readyPort
  }

  /** The URL from the ready line, e.g. `ws://127.0.0.1:PORT/`. */
  get url(): string {
    return this.readyUrl
  }

  /** Process id of the current run, if one was spawned. */
  get pid(): number | undefined {
    return this.run?.child.pid
  }

  /** Whether the current run has not exited yet. */
  get running(): boolean {
    const child = this.run?.child
    return child !== undefined && child.exitCode === null && child.signalCode === null
  }

  /** Exit code of the last run, or null while running or when it died from a signal. */
  get exitCode(): number | null {
    return this.run?.child.exitCode ?? null
  }

  /** Signal that ended the last run, or null. */
  get signalCode(): NodeJS.Signals | null {
    return this.run?.child.signalCode ?? null
  }

  /** Captured output of every run so far (bounded by `maxOutputChars`), for debugging. */
  output(stream: OutputStream = 'all'): string {
    return this.log
      .filter((entry) => stream === 'all' || entry.stream === stream)
      .map((entry) => entry.text)
      .join('')
  }

  /** Sends `signal` (SIGKILL by default) and resolves once the process exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const run = this.run
    if (!run || !this.running) return
    run.child.kill(signal)
    if (!(await this.waitExit(run, this.options.exitTimeoutMs))) {
      throw this.error(
        'SERVER_EXIT_TIMEOUT',
        `mooring server (pid ${run.child.pid}) did not exit within ${this.options.exitTimeoutMs} ms after ${signal}`,
        run,
      )
    }
  }

  /** Graceful stop: SIGTERM, then wait for exit. If it hangs, SIGKILL it and reject with `SERVER_STOP_TIMEOUT`. */
  async stop(): Promise<void> {
    const run = this.run
    if (!run || !this.running) return
    run.child.kill('SIGTERM')
    if (await this.waitExit(run, this.options.exitTimeoutMs)) return
    run.child.kill('SIGKILL')
    await this.waitExit(run, this.options.exitTimeoutMs)
    throw this.error(
      'SERVER_STOP_TIMEOUT',
      `mooring server (pid ${run.child.pid}) ignored SIGTERM for ${this.options.exitTimeoutMs} ms and was killed`,
      run,
    )
  }

  /**
   * Starts the server again on the same port and waits for its ready line, retrying for up to
   * `portRetryMs` while the port is still in use. A still-running process is SIGKILLed first.
   */
  async restart(): Promise<void> {
    await this.kill('SIGKILL')
    const deadline = Date.now() + this.options.portRetryMs
    for (;;) {
      try {
        await this.launch(this.readyPort)
        return
      } catch (error) {
        const portBusy = error instanceof TestingError && error.code === 'SERVER_EXITED' && /EADDRINUSE/.test(this.runText())
        if (!portBusy || Date.now() + PORT_RETRY_PAUSE_MS > deadline) throw error
        await new Promise((resolve) => setTimeout(resolve, PORT_RETRY_PAUSE_MS))
      }
    }
  }

  /** SIGKILLs the process if it is still running; never throws. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill('SIGKILL').catch(() => {})
  }

  private async launch(port: number): Promise<void> {
    const { host, args, env, cwd } = this.options
    const script = this.options.script ?? MOORING_SERVER_CLI
    const nodeArgs = this.options.nodeArgs ?? defaultNodeArgs()
    const argv = [...nodeArgs, script, '--port', String(port), '--host', host, ...args]
    if (this.run) this.append('stdout', `--- restart (port ${port}) ---\n`)

    const child = spawn(process.execPath, argv, {
      cwd: cwd ?? process.cwd(),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    track(child)
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      // A spawn failure emits 'error' and maybe never 'exit'.
      child.once('error', (error) => {
        run.stderr += `spawn error: ${error.message}\n`
        resolve()
      })
    })
    const run: Run = { child, exited, stdout: '', stderr: '' }
    this.run = run

    let ready: ((match: RegExpExecArray) => void) | undefined
    const readyLine = new Promise<RegExpExecArray>((resolve) => (ready = resolve))
    let partial = ''
    child.stdout!.setEncoding('utf8')
    child.stdout!.on('data', (text: string) => {
      run.stdout = (run.stdout + text).slice(-this.options.maxOutputChars)
      this.append('stdout', text)
      const lines = (partial + text).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        const match = READY_LINE.exec(line.replace(/\r$/, ''))
        if (match) ready?.(match)
      }
    })
    child.stderr!.setEncoding('utf8')
    child.stderr!.on('data', (text: string) => {
      run.stderr = (run.stderr + text).slice(-this.options.maxOutputChars)
      this.append('stderr', text)
    })

    const timeoutMs = this.options.readyTimeoutMs
    let timer: NodeJS.Timeout | undefined
    const outcome = await Promise.race([
      readyLine.then((match) => ({ kind: 'ready' as const, match })),
      exited.then(() => ({ kind: 'exited' as const })),
      new Promise<{ kind: 'timeout' }>((resolve) => (timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs))),
    ])
    clearTimeout(timer)

    if (outcome.kind === 'ready') {
      this.readyUrl = outcome.match[1]!
      this.readyPort = Number(outcome.match[3])
      return
    }
    if (outcome.kind === 'exited') {
      const how = child.signalCode ? `signal ${child.signalCode}` : `code ${child.exitCode}`
      throw this.error('SERVER_EXITED', `mooring server (${script}) exited with ${how} before printing its ready line`, run)
    }
    child.kill('SIGKILL')
    await this.waitExit(run, this.options.exitTimeoutMs)
    throw this.error(
      'SERVER_START_TIMEOUT',
      `mooring server (${script}) printed no ready line within ${timeoutMs} ms (killed it)`,
      run,
    )
  }

  private async waitExit(run: Run, timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const exited = await Promise.race([
      run.exited.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ])
    clearTimeout(timer)
    return exited
  }

  private append(stream: 'stdout' | 'stderr', text: string): void {
    this.log.push({ stream, text })
    this.logChars += text.length
    while (this.logChars > this.options.maxOutputChars && this.log.length > 1) {
      this.logChars -= this.log.shift()!.text.length
    }
  }

  private runText(): string {
    return this.run ? this.run.stdout + this.run.stderr : ''
  }

  private error(code: TestingError['code'], message: string, run: Run): TestingError {
    const stderr = run.stderr.slice(-ERROR_TAIL_CHARS).trimEnd()
    const stdout = run.stdout.slice(-ERROR_TAIL_CHARS).trimEnd()
    return new TestingError(
      code,
      `${message}\n--- stderr ---\n${stderr || '(empty)'}\n--- stdout ---\n${stdout || '(empty)'}`,
    )
  }
}

// An absolute loader URL, so the child finds tsx whatever its cwd is.
function defaultNodeArgs(): string[] {
  let tsx = 'tsx'
  try {
    tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
  } catch {
    // Fall back to resolving `tsx` from the child's cwd.
  }
  return ['--import', tsx, '--conditions=source']
}
