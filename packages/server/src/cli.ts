#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { createServer } from './server.js'

const HELP = `Usage: mooring-server [options]

  --port <n>                    port to listen on, 0 for any free one (default: $MOORING_PORT or 8080)
  --host <addr>                 interface to bind (default: $MOORING_HOST or 127.0.0.1)
  --path <path>                 WebSocket path (default: /)
  --heartbeat-interval-ms <n>   server ping interval (default: 25000)
  --drain-ms <n>                grace period on SIGTERM/SIGINT (default: 5000)
  --echo                        serve an "echo" handler that replies with its data and sends evt "echo" back
  -h, --help                    show this help

Prints "mooring-server listening on ws://HOST:PORT/PATH" once ready.
`

function fail(message: string): never {
  process.stderr.write(`mooring-server: ${message}\n\n${HELP}`)
  process.exit(2)
}

function int(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 0) fail(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`)
  return n
}

async function main(): Promise<void> {
  let values
  try {
    ;({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        path: { type: 'string' },
        'heartbeat-interval-ms': { type: 'string' },
        'drain-ms': { type: 'string' },
        echo: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }))
  } catch (err) {
    fail((err as Error).message)
  }
  if (values.help) {
    process.stdout.write(HELP)
    return
  }
  const port = int('port', values.port ?? process.env.MOORING_PORT ?? '8080')!
  const drainMs = int('drain-ms', values['drain-ms']) ?? 5000
  const server = createServer({
    port,
    host: values.host ?? process.env.MOORING_HOST ?? '127.0.0.1',
    path: values.path ?? '/',
    heartbeat: { intervalMs: int('heartbeat-interval-ms', values['heartbeat-interval-ms']) },
  })
  server.on('error', (err) => process.stderr.write(`mooring-server: ${String((err as Error)?.stack ?? err)}\n`))
  if (values.echo) {
    server.handle('echo', (ctx, data) => {
      ctx.send('echo', data)
      return data
    })
  }
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    server.close({ drainMs }).then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  try {
    const { url } = await server.ready()
    process.stdout.write(`mooring-server listening on ${url}\n`)
  } catch (err) {
    process.stderr.write(`mooring-server: cannot listen: ${(err as Error).message}\n`)
    process.exit(1)
  }
}

void main()
