/**
 * The Streaming UI's browser files, all from this package and its node_modules (no CDN, no network):
 * the client (lib/local/ui/client, TypeScript) bundled with uPlot by esbuild in memory when the
 * server first needs it, uPlot's stylesheet, and ours.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UiServerError } from '../errors';

/** A file the UI server sends. */
export interface Asset {
  contentType: string;
  body: string;
}

const CLIENT_DIR = join(__dirname, 'client');

let bundle: Promise<Asset> | undefined;

/**
 * The client script (app.ts and what it imports, uPlot included) as one minified IIFE, built once per
 * process (about 100 ms); uPlot's MIT notice leads it.
 */
export function clientScript(): Promise<Asset> {
  bundle ??= buildClient().catch((e) => {
    bundle = undefined; // a later request tries again
    throw e;
  });
  return bundle;
}

async function buildClient(): Promise<Asset> {
  // esbuild comes with the dev tools (tsx runs on it); loaded only when a UI is served.
  const esbuild = await import('esbuild');
  const license = readFileSync(require.resolve('uplot/LICENSE'), 'utf8').trim();
  try {
    const out = await esbuild.build({
      entryPoints: [join(CLIENT_DIR, 'app.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      target: ['es2020'],
      minify: true,
      logLevel: 'silent',
      tsconfig: join(CLIENT_DIR, 'tsconfig.json'),
      banner: { js: `/*! uPlot 1.6 (https://github.com/leeoniya/uPlot)\n${license}\n*/` },
    });
    return { contentType: 'text/javascript; charset=utf-8', body: out.outputFiles[0].text };
  } catch (e) {
    throw new UiServerError(
      `the Streaming UI's client could not be built from ${CLIENT_DIR} (${(e as Error).message}). ` +
        'Reinstall the dependencies (npm ci), or run with --no-ui.',
    );
  }
}

/** uPlot's stylesheet, from node_modules. */
export function uplotStylesheet(): Asset {
  return {
    contentType: 'text/css; charset=utf-8',
    body: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
}

/** The UI's own stylesheet. */
export function appStylesheet(): Asset {
  return {
    contentType: 'text/css; charset=utf-8',
    body: readFileSync(join(CLIENT_DIR, 'style.css'), 'utf8'),
  };
}
