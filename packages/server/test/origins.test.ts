import { describe, expect, it } from 'vitest'
import { originMatcher } from '../src/index.js'

describe('originMatcher', () => {
  const allowed = originMatcher(['https://app.example.com', 'a.com', '*.b.com', 'localhost:5173'])

  it('matches full origins exactly, bare hosts on any scheme, wildcards on subdomains only', () => {
    expect(allowed('https://app.example.com')).toBe(true)
    expect(allowed('http://app.example.com')).toBe(false)
    expect(allowed('https://a.com')).toBe(true)
    expect(allowed('http://a.com:8080')).toBe(true)
    expect(allowed('https://x.a.com')).toBe(false)
    expect(allowed('https://x.b.com')).toBe(true)
    expect(allowed('https://deep.x.b.com')).toBe(true)
    expect(allowed('https://b.com')).toBe(false)
    expect(allowed('https://evilb.com')).toBe(false)
    expect(allowed('http://localhost:5173')).toBe(true)
    expect(allowed('http://localhost:3000')).toBe(false)
  })

  it('refuses garbage and null origins', () => {
    expect(allowed('null')).toBe(false)
    expect(allowed('not a url')).toBe(false)
    expect(allowed('')).toBe(false)
  })
})
