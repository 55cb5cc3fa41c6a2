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
import { fitLine, runStateSize, type StateRun } from './state';
import { runWindow } from './windows';
import { runDollars } from './dollars';
import { runHotKeys } from './hot-keys';

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
    for (const records of quick ? [1_000] : [1_000, 10_000]) {
      const r = await runMapPhase(records, quick ? 2 : records === 1_000 ? 101 : 15);
      console.log(
        `map-phase (warm kinesisHandler, ${fmt(r.records)}-record events, base64, in-memory store; first invocation ${r.coldMs.toFixed(0)} ms)`,
      );
      console.log(`  hand-written decode + count loop: ${fmt(r.loopRecordsPerSec)} records/s`);
      console.log(`  map-phase handler:               ${fmt(r.handlerRecordsPerSec)} records/s`);
      console.log(`  ratio handler/loop: ${r.ratio.toFixed(2)} (target >= 0.50)`);
    }
  }
  if (want('state')) {
    // Running totals and mapWithState: state sizes at a fixed number of changed keys, and 1% of 1M.
    const plan: [StateRun['operator'], number, number, number][] = quick
      ? [['updateStateByKey', 10_000, 1_000, 5]]
      : [
          ['updateStateByKey', 10_000, 1_000, 40],
          ['updateStateByKey', 100_000, 1_000, 20],
          ['updateStateByKey', 1_000_000, 1_000, 10],
          ['updateStateByKey', 100_000, 100, 20],
          ['updateStateByKey', 100_000, 10_000, 20],
          ['updateStateByKey', 1_000_000, 10_000, 10],
          ['mapWithState', 10_000, 10_000, 20],
          ['mapWithState', 1_000_000, 10_000, 10],
        ];
    console.log(
      'state (DynamoDB on dynalite, per 1-s batch: map phase + close; warm closer unless said; snapshot spread over its period)',
    );
    console.log(
      '  operator          state keys  changed  WCU  amortized WCU  RCU  cold RCU  close CPU ms (cold)  snapshot WCU / period  hottest key WCU',
    );
    const runs: StateRun[] = [];
    for (const [op, n, c, b] of plan) {
      const r = await runStateSize(op, n, c, b);
      runs.push(r);
      console.log(
        `  ${op.padEnd(17)} ${fmt(n).padStart(10)} ${fmt(c).padStart(8)} ${fmt(r.wcu).padStart(4)} ${r.amortizedWcu.toFixed(1).padStart(14)} ${fmt(r.rcu).padStart(4)} ${fmt(r.coldRcu).padStart(9)} ${`${r.closeCpuMs.toFixed(0)} (${r.coldCloseCpuMs.toFixed(0)})`.padStart(20)} ${`${fmt(r.snapshotWcu)} / ${r.snapshotPeriod.toFixed(0)}${r.periodObserved ? '' : ' (rule)'}`.padStart(22)} ${fmt(r.hottestWcuPerBatch).padStart(16)}`,
      );
    }
    const ubk = runs.filter((r) => r.operator === 'updateStateByKey');
    const fixedChanged = ubk.filter((r) => r.changed === 1_000);
    if (fixedChanged.length > 1) {
      const w = fixedChanged.map((r) => r.amortizedWcu);
      const rc = fixedChanged.map((r) => r.rcu);
      console.log(
        `  flatness at 1,000 changed keys, 10K to 1M state keys: amortized WCU max/min ${(Math.max(...w) / Math.min(...w)).toFixed(2)}, RCU max/min ${(Math.max(...rc) / Math.min(...rc)).toFixed(2)} (target <= 2)`,
      );
      const perKey = fitLine(fixedChanged.map((r) => [r.stateKeys, r.amortizedWcu]));
      const perChanged = fitLine(
        ubk.filter((r) => r.stateKeys === 100_000).map((r) => [r.changed, r.amortizedWcu]),
      );
      console.log(
        `  growth laws (least squares): WCU per batch = ${perKey.a.toFixed(1)} + ${(perKey.b * 1000).toFixed(4)} per 1,000 state keys (at 1,000 changed); = ${perChanged.a.toFixed(1)} + ${(perChanged.b * 1000).toFixed(2)} per 1,000 changed keys (at 100K state keys)`,
      );
    }
    const target = ubk.find((r) => r.stateKeys === 1_000_000 && r.changed === 10_000);
    if (target)
      console.log(
        `  running totals, 1M keys, 1% changed: ${target.amortizedWcu.toFixed(0)} WCU (target <= 150), ${fmt(target.rcu)} RCU warm (target <= 100)`,
      );
    const m = runs.filter((r) => r.operator === 'mapWithState');
    if (m.length === 2)
      console.log(
        `  mapWithState, 10K changed: closer CPU at 1M keys / at 10K keys: ${(m[1].closeCpuMs / m[0].closeCpuMs).toFixed(2)} (target <= 2)`,
      );
  }
  if (want('windows')) {
    console.log(
      'windows (reduceByKeyAndWindow 60 s / 1 s, 10K keys, 2,000 records per batch; DynamoDB on dynalite; per batch)',
    );
    for (const inverse of [true, false]) {
      const r = await runWindow(inverse, 10_000, quick ? 500 : 2_000, quick ? 2 : 10);
      console.log(
        `  ${inverse ? 'with inverse   ' : 'without inverse'}: ${fmt(r.rcu)} RCU warm${inverse ? ' (target <= 30)' : ''}, ${fmt(r.coldRcu)} RCU cold, ${fmt(r.wcu)} WCU, close ${r.closeCpuMs.toFixed(0)} ms CPU`,
      );
    }
  }
  if (want('cost')) {
    console.log(
      'cost (running totals over 100K keys, 1-s batches, dollars per million records; DynamoDB units measured on dynalite, Lambda time modeled: CPU here + 8 ms per DynamoDB request, closer billed every second at 1 GB)',
    );
    for (const [rate, target] of [
      [1_000, 0.03],
      [10_000, 0.012],
    ] as const) {
      const r = await runDollars(rate, quick ? 10_000 : 100_000, quick ? 3 : 20);
      const usd = (x: number) => `$${x.toFixed(4)}`;
      console.log(
        `  ${fmt(rate)} records/s (${r.shards} shard${r.shards > 1 ? 's' : ''}): ${usd(r.total)} per million (target <= $${target}); DynamoDB ${usd(r.dynamo)} (${r.wcu.toFixed(1)} WCU, ${fmt(r.rcu)} RCU per batch), Lambda requests ${usd(r.lambdaRequests)}, map-phase time ${usd(r.lambdaDuration)}, closer ${usd(r.closer)}; Managed Flink's 2-KPU floor ${usd(r.flinkFloor)}`,
      );
      console.log(
        `    stored after an hour: ${(r.storedBytesAfterHour / 1e6).toFixed(1)} MB ($${r.storageDollarsPerMonth.toFixed(4)} per month)`,
      );
    }
  }
  if (want('hot-keys')) {
    const r = await runHotKeys(quick ? 10_000 : 100_000, quick ? 100_000 : 1_000_000, quick ? 1 : 3);
    console.log(
      `hot-keys (${fmt(r.recordsPerSec)} records/s on ${r.shards} shards, running totals over ${fmt(r.stateKeys)} keys; DynamoDB on dynalite; per 1-s batch)`,
    );
    console.log(`  hottest key, writes: ${fmt(r.hottestWrite[1])} WCU/s (${r.hottestWrite[0]}; limit 1,000)`);
    console.log(`  hottest key, reads:  ${fmt(r.hottestRead[1])} RCU/s (${r.hottestRead[0]}; limit 3,000)`);
    console.log(
      `  snapshot, hottest page: ${fmt(r.snapshotPageWrite[1])} WCU (${r.snapshotPageWrite[0]}); cold closer's hottest read: ${fmt(r.coldHottestRead[1])} RCU (${r.coldHottestRead[0]})`,
    );
  }
  if (want('cost')) {
    const r = await runCost(quick ? 1_000 : 10_000);
    console.log('cost, word count against a naive handler:');
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
