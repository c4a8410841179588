import { describe, expect, it } from 'vitest'
import { CliError, DEFAULT_CLI_PORT, parseCli } from '../src/cli-options.js'

const noFile = (p: string): string => {
  throw new Error(`ENOENT ${p}`)
}

describe('parseCli', () => {
  it('defaults to 127.0.0.1 on the default port and serves no HTTP routes', () => {
    expect(parseCli([], {}, noFile)).toEqual({ kind: 'run', options: { port: DEFAULT_CLI_PORT, host: '127.0.0.1', routes: false }, drainMs: 5000, echo: false })
  })

  it('takes flags over environment variables over the config file', () => {
    const files = { 'm.json': JSON.stringify({ port: 1, host: '10.0.0.1', path: '/cfg', maxConnectionsPerIp: 50, drainMs: 900, rateLimit: { perSecond: 5 } }) }
    const env = { MOORING_PORT: '2', MOORING_PATH: '/env', MOORING_ORIGINS: 'a.com, *.b.com' }
    const cmd = parseCli(['--config', 'm.json', '--port', '3', '--metrics'], env, (p) => files[p as keyof typeof files])
    expect(cmd).toEqual({
      kind: 'run',
      drainMs: 900,
      echo: false,
      options: {
        port: 3,
        host: '10.0.0.1',
        path: '/env',
        origins: ['a.com', '*.b.com'],
        maxConnectionsPerIp: 50,
        rateLimit: { perSecond: 5 },
        routes: true,
      },
    })
  })

  it('refuses unknown config keys, unreadable files and bad numbers with a CliError', () => {
    expect(() => parseCli(['--config', 'x.json'], {}, () => '{"prot": 1}')).toThrow(/unknown option\(s\) prot/)
    expect(() => parseCli(['--config', 'x.json'], {}, noFile)).toThrow(CliError)
    expect(() => parseCli(['--config', 'x.json'], {}, () => '[1]')).toThrow(/JSON object/)
    expect(() => parseCli(['--port=-1'], {}, noFile)).toThrow(/non-negative integer/)
    expect(() => parseCli([], { MOORING_PORT: 'eighty' }, noFile)).toThrow(CliError)
    expect(() => parseCli(['--bogus'], {}, noFile)).toThrow(CliError)
  })
})
