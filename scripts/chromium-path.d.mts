export declare const SYSTEM_CHROMIUM: string
/** The Debian package that provides SYSTEM_CHROMIUM. */
export declare const DEBIAN_PACKAGE: string
/** The Chromium to use, first of: $CHROMIUM_PATH, /usr/bin/chromium, Playwright's own browser. */
export declare function findChromium(): { path: string; source: string } | undefined
/** Flags that work on these machines (no sandbox as root, no GPU, no calls home). */
export declare const CHROMIUM_ARGS: string[]
