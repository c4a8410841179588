// Shared by rollup.config.mjs (the CDN bundle) and scripts/size.mjs (the budget), so the size
// we measure is the size of the code a browser would actually download.
import { builtinModules } from 'node:module'
import commonjs from '@rollup/plugin-commonjs'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import terser from '@rollup/plugin-terser'
import esbuild from 'rollup-plugin-esbuild'

export const TARGET = 'es2022'

const builtins = new Set(builtinModules)

/** True for `node:fs`, `fs`, `fs/promises` and friends. */
export function isNodeBuiltin(id) {
  return id.startsWith('node:') || builtins.has(id) || builtins.has(id.split('/')[0])
}

/** Packages that only make sense in Node: `ws` and its isomorphic wrapper (a shim in browsers). */
const NODE_ONLY_PACKAGES = new Set(['ws', 'isomorphic-ws'])
/** Our own Node-only modules (transport.node.ts), reached through a `node` import condition. */
const NODE_ONLY_FILE = /\.node\.[cm]?[jt]s$/

/**
 * A browser bundle must never carry Node built-ins: a shim would bloat it and a missing one
 * would only fail at runtime in the user's page, so we fail the build instead. Node-only
 * packages and modules fail it too: they would be dead weight in every page.
 */
export function forbidNodeBuiltins() {
  return {
    name: 'mooring:forbid-node-builtins',
    resolveId(id, importer) {
      if (isNodeBuiltin(id)) {
        this.error(`Node built-in "${id}" imported by ${importer ?? 'the entry'} would end up in a browser bundle`)
      }
      if (NODE_ONLY_PACKAGES.has(id)) {
        this.error(`Node-only package "${id}" imported by ${importer ?? 'the entry'} would end up in a browser bundle`)
      }
      return null
    },
    load(id) {
      if (NODE_ONLY_FILE.test(id)) this.error(`Node-only module ${id} would end up in a browser bundle`)
      return null
    },
  }
}

/**
 * Plugins for a self-contained browser build: every dependency bundled, `isomorphic-ws` (and any
 * other package with a `browser` field) resolved to its browser build, workspace packages read
 * from their TypeScript source through the `source` export condition.
 */
export function browserPlugins({ minify = true } = {}) {
  return [
    forbidNodeBuiltins(),
    nodeResolve({
      browser: true,
      preferBuiltins: false,
      exportConditions: ['source', 'browser', 'module', 'import', 'default'],
      extensions: ['.ts', '.tsx', '.mjs', '.js', '.json'],
    }),
    commonjs(),
    esbuild({ target: TARGET, tsconfig: 'tsconfig.json', jsx: 'automatic' }),
    minify && terser({ ecma: 2020, compress: { passes: 2 }, format: { comments: false } }),
  ].filter(Boolean)
}

/** Turn warnings that mean "this bundle is broken" into errors; drop the rest. */
export function strictBrowserWarnings(warning, warn) {
  if (warning.code === 'UNRESOLVED_IMPORT' || warning.code === 'MISSING_NODE_BUILTINS') {
    throw new Error(`browser bundle: ${warning.message}`)
  }
  if (warning.code === 'CIRCULAR_DEPENDENCY' && /node_modules/.test(warning.message)) return
  warn(warning)
}
