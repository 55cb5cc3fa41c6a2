/**
 * `npm run bench`: every benchmark, each against its baseline measured in the same run.
 * `npm run bench -- wordcount` runs one; `--quick` uses small inputs (a smoke run, not figures).
 */
import { cpus } from 'node:os';
import { runWordCount } from './wordcount';

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
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
