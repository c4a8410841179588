#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { CLI_HELP, CliError, parseCli, type CliCommand } from './cli-options.js'
import { createServer } from './server.js'

function fail(message: string): never {
  process.stderr.write(`mooring-server: ${message}\n\n${CLI_HELP}`)
  process.exit(2)
}

async function main(): Promise<void> {
  let command: CliCommand
  try {
    command = parseCli(process.argv.slice(2), process.env, (p) => readFileSync(p, 'utf8'))
  } catch (err) {
    if (err instanceof CliError) fail(err.message)
    throw err
  }
  if (command.kind === 'help') {
    process.stdout.write(CLI_HELP)
    return
  }
  const { options, drainMs, echo } = command
  const server = createServer(options)
  server.on('error', (err) => process.stderr.write(`mooring-server: ${String((err as Error)?.stack ?? err)}\n`))
  if (echo) {
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
    // The first line is parsed by scripts and the test kit: keep it exactly this shape.
    let out = `mooring-server listening on ${url}\n`
    if (options.routes && options.metrics !== false) {
      const http = url.replace(/^ws:/, 'http:').replace(/^(http:\/\/[^/]+).*$/, '$1')
      out += `metrics on ${http}/metrics\n`
    }
    process.stdout.write(out)
  } catch (err) {
    process.stderr.write(`mooring-server: cannot listen: ${(err as Error).message}\n`)
    process.exit(1)
  }
}

void main()
