/**
 * `npm run bench`: every benchmark, each against its baseline measured in the same run.
 * `npm run bench -- wordcount` runs one; `--quick` uses small inputs (a smoke run, not figures).
 */
// The SDK's notice that its 2027 releases need Node 22 is harmless here (Lambda runs 22).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { cpus } from 'node:os';
import { runWordCount } from './wordcount';
import { runMapPhase } from './map-phase';
import { runCost } from './cost';
import { runE2e } from './e2e';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.filter((a) => !a.startsWith('--'));
const want = (name: string) => only.length === 0 || only.includes(name);

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
  if (want('wordcount')) {
    const r = await runWordCount(quick ? 50_000 : 1_000_000, quick ? 1 : 5);
    console.log(`wordcount (in-memory engine, ${fmt(r.lines)} lines x 10 words, 5,000-word Zipf vocabulary)`);
    console.log(`  hand-written loop: ${fmt(r.loopLinesPerSec)} lines/s`);
    console.log(`  engine:            ${fmt(r.engineLinesPerSec)} lines/s`);
    console.log(`  ratio engine/loop: ${r.ratio.toFixed(2)} (target >= 0.70)`);
  }
  if (want('map-phase')) {
    const r = await runMapPhase(quick ? 1_000 : 10_000, quick ? 1 : 15);
    console.log(`map-phase (kinesisHandler on a ${fmt(r.records)}-record event, base64, in-memory store)`);
    console.log(`  hand-written decode + count loop: ${fmt(r.loopRecordsPerSec)} records/s`);
    console.log(`  map-phase handler:               ${fmt(r.handlerRecordsPerSec)} records/s`);
    console.log(`  ratio handler/loop: ${r.ratio.toFixed(2)} (target >= 0.50)`);
  }
  if (want('cost')) {
    const r = await runCost(quick ? 1_000 : 10_000);
    console.log(
      `cost (word count, ${fmt(r.records)}-record event, ${fmt(r.words)} words, ${fmt(r.distinctWords)} distinct; dynalite ConsumedCapacity)`,
    );
    console.log(
      `  engine (map phase + batch close): ${fmt(r.engine.requests)} requests, ${fmt(r.engine.writeUnits)} WCU, ${fmt(r.engine.readUnits)} RCU, ${fmt(r.engine.itemsWritten)} items, ${fmt(r.engine.bytesWritten)} bytes written`,
    );
    console.log(
      `  naive UpdateItem ADD per word:          ${fmt(r.naivePerWord.requests)} requests, ${fmt(r.naivePerWord.writeUnits)} WCU`,
    );
    console.log(
      `  naive UpdateItem ADD per distinct word: ${fmt(r.naivePerDistinctWord.requests)} requests, ${fmt(r.naivePerDistinctWord.writeUnits)} WCU`,
    );
    console.log(
      `  write units, naive per word / engine: ${r.ratioPerWord.toFixed(1)}x fewer (target >= 20x)`,
    );
    console.log(
      `  write units, naive per distinct word / engine: ${r.ratioPerDistinctWord.toFixed(1)}x fewer`,
    );
    const kb = r.changedStateBytes / 1024;
    console.log(
      `  engine WCU / (changed state ${fmt(r.changedStateBytes)} bytes / 1 KB): ${(r.engine.writeUnits / kb).toFixed(2)} (target <= 2)`,
    );
  }
  if (want('e2e')) {
    const r = await runE2e(quick ? 5_000 : 50_000);
    const ms = (n: number) => `${fmt(n)} ms`;
    console.log(
      `e2e (network-wordcount on kinesalite, dynalite and s3rver in this process; ${r.shards} shards, batch size ${r.batchSize}; ${fmt(r.lines)} lines x 10 words)`,
    );
    console.log(`  produce (PutRecords, 500 lines a call):          ${fmt(r.produceLinesPerSec)} lines/s`);
    console.log(`  produce start to last line mapped:               ${fmt(r.mappedLinesPerSec)} lines/s`);
    console.log(
      `  produce start to last line's batch closed:       ${fmt(r.closedLinesPerSec)} lines/s (last batch closed ${ms(r.lastBatchCloseAfterEndMs)} after its end: allowed lateness)`,
    );
    const lat = (l: typeof r.loaded) =>
      `p50 ${ms(l.p50)}, p95 ${ms(l.p95)}, max ${ms(l.max)}; batch end to close p50 ${ms(l.afterBatchEndP50)} (${l.markers} lines)`;
    console.log(
      `  latency, line sent to its batch closed, under ${fmt(r.loadedRate)} lines/s: ${lat(r.loaded)}`,
    );
    console.log(`  latency, line sent to its batch closed, idle stream:  ${lat(r.idle)}`);
    console.log(
      `  late records (moved to a later batch): ${fmt(r.lateRecords.throughput)} in the throughput run, ${fmt(r.lateRecords.loaded)} under load, ${fmt(r.lateRecords.idle)} idle`,
    );
    console.log(
      `  where the CPU goes (throughput run; event loop busy ${(100 * r.eventLoopUtilization).toFixed(0)}%):`,
    );
    for (const c of r.cpu)
      console.log(
        `    ${c.name.padEnd(40)} ${ms(c.ms).padStart(9)}  ${(100 * c.share).toFixed(1).padStart(5)}%`,
      );
    console.log('  SDK calls to the emulators (throughput run; wall time, concurrent calls overlap):');
    for (const c of r.calls) {
      console.log(
        `    ${`${c.service} ${c.operation}`.padEnd(40)} ${fmt(c.calls).padStart(6)} calls, ${ms(c.totalMs).padStart(9)}, mean ${c.meanMs.toFixed(1)} ms`,
      );
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
