// Makes sure a Chromium exists for the e2e tests, installing Debian's `chromium` when we are
// root on a fresh machine (CI), and says which one will be used.
import { spawnSync } from 'node:child_process'
import { DEBIAN_PACKAGE, findChromium } from './chromium-path.mjs'

const APT_TIMEOUT_MS = 15 * 60 * 1000

function run(command, args, env = {}) {
  console.log(`chromium: $ ${command} ${args.join(' ')}`)
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...env },
    timeout: APT_TIMEOUT_MS,
  })
  if (result.error) throw new Error(`${command} failed: ${result.error.message}`)
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`)
}

function version(path) {
  const result = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 30_000 })
  return result.status === 0 ? result.stdout.trim() : 'version unknown'
}

try {
  let found = findChromium()
  if (!found) {
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
      throw new Error(
        `no Chromium found: install the Debian package \`${DEBIAN_PACKAGE}\` (apt-get install ${DEBIAN_PACKAGE}) or set CHROMIUM_PATH`,
      )
    }
    console.log(`chromium: none found; installing the Debian package \`${DEBIAN_PACKAGE}\``)
    run('apt-get', ['update'])
    run('apt-get', ['install', '-y', DEBIAN_PACKAGE], { DEBIAN_FRONTEND: 'noninteractive' })
    found = findChromium()
    if (!found) throw new Error(`installed \`${DEBIAN_PACKAGE}\` but still found no Chromium`)
  }
  console.log(`chromium: using ${found.path} (${found.source}): ${version(found.path)}`)
} catch (error) {
  console.error(`chromium: ${error.message}`)
  process.exit(1)
}
