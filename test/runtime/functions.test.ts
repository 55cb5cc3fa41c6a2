import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Pipeline } from '../../lib';

/**
 * Every deployable function (functions/<name>/index.ts) loads as the CDK construct bundles it and
 * exports the two Lambda entry points of CONTRACTS.md. Nothing is invoked: no AWS call is made.
 */

const FUNCTIONS_DIR = join(__dirname, '..', '..', 'functions');
const names = readdirSync(FUNCTIONS_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

const prevTable = process.env.DSTREAM_TABLE;
beforeAll(() => (process.env.DSTREAM_TABLE = 'dstream-test-table-not-used'));
afterAll(() => {
  if (prevTable === undefined) delete process.env.DSTREAM_TABLE;
  else process.env.DSTREAM_TABLE = prevTable;
});

test('there are pipelines to check', () => {
  expect(names).toEqual(expect.arrayContaining(['network-wordcount', 'windowed-wordcount']));
});

describe.each(names)('functions/%s', (name) => {
  test('index.ts exports `handler` and `closer` functions', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(join(FUNCTIONS_DIR, name, 'index')) as Record<string, unknown>;
    expect(typeof mod.handler).toBe('function');
    expect(typeof mod.closer).toBe('function');
  });

  test('pipeline.ts exports a pipeline named after its folder', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pipeline = (require(join(FUNCTIONS_DIR, name, 'pipeline')) as { default: Pipeline }).default;
    expect(pipeline.name).toBe(name);
    expect(pipeline.batchInterval).toBeGreaterThan(0);
    expect(typeof pipeline.define).toBe('function');
  });
});
