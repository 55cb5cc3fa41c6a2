/**
 * The Streaming UI in a real browser: a stateful word count runs on the embedded stack (in
 * process), lines flow in, and headless Chromium opens the UI: the charts get points and keep
 * moving without a reload, the batch table fills, a batch opens to its details, the shards and the
 * state show; at 1280x800 and at 400 px wide. Screenshots go to test-artifacts/streaming-ui/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { definePipeline, setPprintWriter } from '../../lib';
import { produce } from '../../lib/local/producer';
import { startLocalRun, type LocalRun } from '../../lib/local/runner';
import { formatBatchTime } from '../../lib/sinks/pprint-format';
import { artifactsDir, launchBrowser } from '../helpers/browser';

const pipeline = definePipeline({ name: 'ui-wordcount', batchInterval: 1 }, (ssc) => {
  const pairs = ssc
    .kinesisTextStream()
    .flatMap((line) => line.split(' '))
    .filter((w) => w.length > 0)
    .map((w) => [w, 1] as [string, number]);
  pairs.reduceByKey((a, b) => a + b).pprint();
  pairs
    .updateStateByKey((values: number[], total: number | undefined) =>
      values.reduce((a, b) => a + b, total ?? 0),
    )
    .foreachRDD(() => undefined);
});

// The functions given to page.evaluate and $eval run in the browser. The project compiles without
// the DOM library (Node.js code must not see browser globals), so this file declares the ones it uses.
declare const document: any;
declare const window: any;

const TIMELINES = ['inputRate', 'schedulingDelayMs', 'processingTimeMs', 'totalDelayMs'];
const WAIT = { timeout: 30_000, polling: 100 };

describe('the Streaming UI in headless Chromium', () => {
  let browser: Browser | undefined;
  let run: LocalRun | undefined;
  let page: Page;
  let stopProducing = false;
  let producing: Promise<unknown> = Promise.resolve();
  const stateDir = mkdtempSync(join(tmpdir(), 'dstream-ui-'));
  const shots = artifactsDir('streaming-ui');
  const restorePprint = setPprintWriter(() => undefined);
  const requests: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [browser, run] = await Promise.all([
      launchBrowser(),
      startLocalRun({
        pipeline,
        shards: 2,
        stateDir,
        allowedLateness: 0.5,
        status: () => undefined,
        ui: { port: 0, inspectIntervalMs: 500 },
      }),
    ]);
    const { kinesis, endpoints } = run;
    // About 120 lines a second until the end of the tests: every batch has records.
    async function* lines() {
      for (let i = 0; !stopProducing; i++) yield `w${i % 13} w${i % 7} common ${i % 2 ? 'odd' : 'even'}`;
    }
    producing = produce(lines(), { client: kinesis, streamName: endpoints.stream, rate: 120 }).catch(
      (e: Error) => e,
    );
    page = await browser.newPage();
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.emulateTimezone(Intl.DateTimeFormat().resolvedOptions().timeZone);
    await page.setViewport({ width: 1280, height: 800 });
  }, 90_000);

  afterAll(async () => {
    stopProducing = true;
    await producing;
    await browser?.close();
    await run?.stop();
    setPprintWriter(restorePprint);
    rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  const points = (id: string) => page.$eval(`#${id}`, (el: any) => Number(el.dataset.points));

  test('Streaming page: every timeline and histogram has points, drawn on its canvas, with units', async () => {
    const ui = run!.ui!;
    expect(ui.url).toMatch(/^http:\/\/localhost:\d+\/$/);
    await page.goto(ui.url + 'streaming');
    await page.waitForFunction(
      (ids: string[]) =>
        ids.every((m) => Number(document.getElementById(`timeline-${m}`)?.dataset.points) >= 3) &&
        ids.every((m) => Number(document.getElementById(`histogram-${m}`)?.dataset.points) >= 1),
      WAIT,
      TIMELINES,
    );
    for (const m of TIMELINES) {
      // The series' colour is on the canvas: uPlot drew the line and its points.
      const inked = await page.$eval(`#timeline-${m} canvas`, (canvas: any) => {
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 0; i < data.length; i += 4)
          if (
            Math.abs(data[i] - 27) < 30 &&
            Math.abs(data[i + 1] - 95) < 30 &&
            Math.abs(data[i + 2] - 168) < 30
          )
            n++;
        return n;
      });
      expect(inked).toBeGreaterThan(20);
      const label = await page.$eval(`#timeline-${m} .plot`, (el) => el.getAttribute('aria-label'));
      expect(label).toMatch(m === 'inputRate' ? /records\/s at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/ : / ms at /);
    }
    expect(
      Number((await page.$eval('#records-in', (el) => el.textContent))!.replace(/,/g, '')),
    ).toBeGreaterThan(0);
    for (const id of ['late-records', 'decode-errors', 'user-function-errors'])
      expect(await page.$eval(`#${id}`, (el) => el.textContent)).toBe('0');
    await page.screenshot({ path: join(shots, 'streaming-1280x800.png') });
    await page.screenshot({ path: join(shots, 'streaming-1280-full.png'), fullPage: true });
  }, 60_000);

  test('the page keeps updating from the event stream, without reloading', async () => {
    await page.evaluate(() => (window.sameDocument = true));
    const before = {
      version: Number(await page.$eval('body', (b: any) => b.dataset.version)),
      points: await points('timeline-inputRate'),
      records: await page.$eval('#records-in', (el) => el.textContent),
    };
    await page.waitForFunction(
      (v: number, p: number) =>
        Number(document.body.dataset.version) >= v + 3 &&
        Number(document.getElementById('timeline-inputRate')?.dataset.points) >= p + 2,
      WAIT,
      before.version,
      before.points,
    );
    expect(await page.$eval('#records-in', (el) => el.textContent)).not.toBe(before.records);
    expect(await page.evaluate(() => window.sameDocument)).toBe(true);
    expect(await page.$eval('#conn', (el) => el.textContent)).toMatch(/^live · \d\d:\d\d:\d\d$/);
  }, 60_000);

  test('Batches page: completed batches newest first, as the engine closed them; a batch opens to its details', async () => {
    await page.click('nav a[data-page="batches"]');
    await page.waitForFunction(
      () => document.querySelectorAll('#completed-batches tbody tr').length >= 3,
      WAIT,
    );
    expect(page.url()).toMatch(/\/batches$/);
    const rows = await page.$$eval('#completed-batches tbody tr', (trs: any[]) =>
      trs.map((tr: any) => ({
        key: Number(tr.dataset.key),
        cells: Array.from(tr.cells, (c: any) => c.textContent ?? ''),
      })),
    );
    const times = rows.map((r) => r.key);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    for (const r of rows) {
      const batch = run!.monitor.batch(r.key)!;
      expect(batch.status).toBe('completed');
      expect(r.cells[0]).toBe(formatBatchTime(r.key));
      expect(r.cells[1]).toBe(batch.records.toLocaleString('en-US'));
      expect(r.cells[8]).toMatch(/^pprint \d+ · foreachRDD \d+$/);
    }
    await page.screenshot({ path: join(shots, 'batches-1280x800.png') });

    const t = rows[1].key;
    await page.click(`#completed-batches tr[data-key="${t}"] a`);
    await page.waitForFunction(() => document.querySelectorAll('#batch-shards tbody tr').length >= 1, WAIT);
    expect(page.url()).toMatch(new RegExp(`/batches/${t}$`));
    expect(await page.$eval('h1', (el) => el.textContent)).toBe(`Batch ${formatBatchTime(t)}`);
    const facts = await page.$eval('#batch-facts', (el) => el.textContent ?? '');
    const batch = run!.monitor.batch(t)!;
    expect(facts).toContain(`Closed by${batch.owner}`);
    expect(facts).toContain('Statuscompleted');
    const shardIds = await page.$$eval('#batch-shards tbody th', (ths: any[]) =>
      ths.map((th) => th.textContent),
    );
    expect(shardIds).toEqual(batch.shards.map((s) => s.shardId));
    const outputs = await page.$$eval('#batch-outputs tbody tr', (trs: any[]) =>
      trs.map((tr: any) => tr.cells[1].textContent),
    );
    expect(outputs).toEqual(['pprint', 'foreachRDD']);
    await page.screenshot({ path: join(shots, 'batch-details-1280x800.png'), fullPage: true });

    await page.goBack();
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Batches', WAIT);
  }, 60_000);

  test('Shards and state page: both shards with checkpoint and watermark, lag over time, state keys over time', async () => {
    await page.click('nav a[data-page="shards"]');
    await page.waitForFunction(
      () =>
        document.querySelectorAll('#shards tbody tr').length === 2 &&
        Number(document.getElementById('timeline-lag')?.dataset.points) >= 2 &&
        Number(document.querySelector('figure[id$="-keys"]')?.dataset.points) >= 2,
      WAIT,
    );
    const shards = await page.$$eval('#shards tbody tr', (trs: any[]) =>
      trs.map((tr: any) => Array.from(tr.cells, (c: any) => c.textContent ?? '')),
    );
    for (const cells of shards) {
      expect(cells[0]).toMatch(/^shardId-\d{12}$/);
      expect(cells[1]).toMatch(/^\d{20,}$/);
      expect(cells[2]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
      expect(cells[3]).toMatch(/ m?s$/);
    }
    expect(await page.$eval('#progress', (el) => el.textContent)).toMatch(/^Next batch to close \d{4}-/);
    expect(await page.$eval('.stream h3', (el) => el.textContent)).toMatch(/updateStateByKey|state/i);
    await page.screenshot({ path: join(shots, 'shards-1280x800.png'), fullPage: true });
  }, 60_000);

  test('a narrow window (400 px): nothing wider than the screen, the charts fit', async () => {
    await page.setViewport({ width: 400, height: 800 });
    await page.click('nav a[data-page="streaming"]');
    await page.waitForFunction(
      () => Number(document.getElementById('timeline-inputRate')?.dataset.points) >= 3,
      WAIT,
    );
    // The charts follow their boxes' width (ResizeObserver): wait for the new size.
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('.plot canvas')).every(
          (c: any) => c.getBoundingClientRect().right <= 400,
        ),
      WAIT,
    );
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(400);
    await page.screenshot({ path: join(shots, 'streaming-400.png') });
    await page.click('nav a[data-page="batches"]');
    await page.waitForFunction(
      () => document.querySelectorAll('#completed-batches tbody tr').length >= 3,
      WAIT,
    );
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(400);
    await page.screenshot({ path: join(shots, 'batches-400.png') });
  }, 60_000);

  test('everything came from the UI itself (no CDN, no network), and the page raised no error', () => {
    const origin = new URL(run!.ui!.url).origin;
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.filter((u) => !u.startsWith(origin))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
