/**
 * A real headless Chromium for the UI tests, from npm alone: `@sparticuz/chromium` ships the
 * browser inside its package (unpacked to the temp directory on first use), puppeteer-core drives
 * it. No download, no network: the flags keep Chromium from calling home.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

/** Where UI tests put their screenshots (git-ignored). */
export const ARTIFACTS_DIR = join(__dirname, '..', '..', 'test-artifacts');

/** Chromium's flags: headless on a closed network, in a container, on a loaded machine. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--no-zygote',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--disable-domain-reliability',
  '--no-first-run',
  '--no-default-browser-check',
  '--no-pings',
  '--font-render-hinting=none',
  '--mute-audio',
];

/**
 * The Chromium binary of @sparticuz/chromium. The package is ES-module only and jest runs
 * CommonJS, so a plain node process unpacks it (once; later calls find it unpacked) and prints its path.
 */
export function chromiumPath(): string {
  const script =
    "import('@sparticuz/chromium').then((m) => m.default.executablePath()).then((p) => process.stdout.write(p))";
  return execFileSync(process.execPath, ['-e', script], {
    cwd: join(__dirname, '..', '..'),
    encoding: 'utf8',
    timeout: 60_000,
  }).trim();
}

/** Launches headless Chromium (close it in afterAll). */
export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: 'shell',
    args: CHROMIUM_ARGS,
    protocolTimeout: 60_000,
  });
}

/** The screenshot folder of one test file, created. */
export function artifactsDir(name: string): string {
  const dir = join(ARTIFACTS_DIR, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
