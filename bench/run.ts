/**
 * `npm run bench`: every benchmark, each against its baseline measured in the same run.
 * `npm run bench -- wordcount` runs one; `--quick` uses small inputs (a smoke run, not figures).
 */
import { cpus } from 'node:os';
import { runWordCount } from './wordcount';
import { runMapPhase } from './map-phase';
import { runCost } from './cost';

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
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
