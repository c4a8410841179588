/**
 * Origin allowlist matching. An entry with a scheme (`https://app.example.com`) must equal the
 * Origin header; one without is compared to its host (`app.example.com`, `localhost:5173`);
 * `*.example.com` admits any subdomain at any depth, but not `example.com` itself.
 */
export function originMatcher(patterns: readonly string[]): (origin: string) => boolean {
  const exact = new Set<string>()
  const hosts = new Set<string>()
  const suffixes: string[] = []
  for (const raw of patterns) {
    const p = raw.trim().toLowerCase()
    if (p === '') continue
    if (p.includes('://')) exact.add(p.replace(/\/+$/, ''))
    else if (p.startsWith('*.')) suffixes.push(p.slice(1))
    else hosts.add(p)
  }
  return (origin) => {
    const o = origin.toLowerCase()
    if (exact.has(o)) return true
    let host: string
    let hostname: string
    try {
      const url = new URL(o)
      host = url.host
      hostname = url.hostname
    } catch {
      return false
    }
    if (hosts.has(host) || hosts.has(hostname)) return true
    return suffixes.some((s) => hostname.endsWith(s) && hostname.length > s.length)
  }
}
