import { parseArgs } from 'node:util'
import type { ServerOptions } from './options.js'

/** The port the CLI listens on when neither a flag, MOORING_PORT nor the config names one. */
export const DEFAULT_CLI_PORT = 8080

export const CLI_HELP = `Usage: mooring-server [options]

  --port <n>                    port to listen on, 0 for any free one (default: $MOORING_PORT or 8080)
  --host <addr>                 interface to bind (default: $MOORING_HOST or 127.0.0.1)
  --path <path>                 WebSocket path (default: $MOORING_PATH or /)
  --origins <list>              allowed browser origins, comma-separated: https://a.com, a.com, *.b.com
                                (default: $MOORING_ORIGINS, else any)
  --config <file.json>          server options as JSON (same keys as createServer's JSON-able options)
  --metrics                     serve GET /metrics (Prometheus) and GET /healthz on the same port
  --heartbeat-interval-ms <n>   server ping interval (default: 25000)
  --drain-ms <n>                grace period on SIGTERM/SIGINT (default: 5000)
  --echo                        serve an "echo" handler that replies with its data and sends evt "echo" back
  -h, --help                    show this help

Precedence: flags, then environment variables, then --config, then defaults.
Prints "mooring-server listening on ws://HOST:PORT/PATH" once ready, and
"metrics on http://HOST:PORT/metrics" on the next line when metrics are served.
`

/** Keys a `--config` file may set: the options of `createServer` that survive JSON. */
const CONFIG_KEYS = new Set([
  'port',
  'host',
  'path',
  'origins',
  'authTimeoutMs',
  'heartbeat',
  'sessionTtlMs',
  'dedupeWindow',
  'maxPayloadBytes',
  'maxBufferedBytes',
  'slowConsumer',
  'maxConnections',
  'maxConnectionsPerIp',
  'maxRoomsPerConnection',
  'rateLimit',
  'metrics',
  'routes',
  'perMessageDeflate',
  'history',
  'rooms',
  'drainMs',
])

export class CliError extends Error {
  override name = 'CliError'
}

export type CliCommand =
  | { kind: 'help' }
  | { kind: 'run'; options: ServerOptions & { port: number; host: string }; drainMs: number; echo: boolean }

/** Turn argv, the environment and an optional config file into server options. Throws `CliError`. */
export function parseCli(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  readFile: (path: string) => string,
): CliCommand {
  let values
  try {
    ;({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        path: { type: 'string' },
        origins: { type: 'string' },
        config: { type: 'string' },
        metrics: { type: 'boolean', default: false },
        'heartbeat-interval-ms': { type: 'string' },
        'drain-ms': { type: 'string' },
        echo: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }))
  } catch (err) {
    throw new CliError((err as Error).message)
  }
  if (values.help) return { kind: 'help' }

  const config = values.config === undefined ? {} : readConfig(values.config, readFile)
  const { drainMs: configDrainMs, ...fromConfig } = config as ServerOptions & { drainMs?: unknown }
  const pick = (flag: string | undefined, envName: string): string | undefined => flag ?? nonEmpty(env[envName])

  const options: ServerOptions & { port: number; host: string } = {
    ...fromConfig,
    port: int('port', pick(values.port, 'MOORING_PORT')) ?? (fromConfig.port as number | undefined) ?? DEFAULT_CLI_PORT,
    host: pick(values.host, 'MOORING_HOST') ?? fromConfig.host ?? '127.0.0.1',
  }
  const path = pick(values.path, 'MOORING_PATH')
  if (path !== undefined) options.path = path
  const origins = pick(values.origins, 'MOORING_ORIGINS')
  if (origins !== undefined) options.origins = origins.split(',').map((o) => o.trim()).filter(Boolean)
  const interval = int('heartbeat-interval-ms', values['heartbeat-interval-ms'])
  if (interval !== undefined) options.heartbeat = { ...fromConfig.heartbeat, intervalMs: interval }
  // A CLI serves nothing but the socket unless asked to: /metrics may not belong on a public port.
  options.routes = values.metrics || fromConfig.routes === true
  if (values.metrics && options.metrics === false) delete options.metrics

  const drainMs = int('drain-ms', values['drain-ms']) ?? (typeof configDrainMs === 'number' ? configDrainMs : 5000)
  return { kind: 'run', options, drainMs, echo: values.echo }
}

function readConfig(path: string, readFile: (path: string) => string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFile(path))
  } catch (err) {
    throw new CliError(`cannot read --config ${path}: ${(err as Error).message}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError(`--config ${path} must hold a JSON object`)
  const unknown = Object.keys(parsed).filter((k) => !CONFIG_KEYS.has(k))
  if (unknown.length > 0) throw new CliError(`--config ${path}: unknown option(s) ${unknown.join(', ')}`)
  return parsed as Record<string, unknown>
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v
}

function int(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < 0) throw new CliError(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`)
  return n
}
