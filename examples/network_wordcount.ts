/**
 * Counts words in UTF-8 encoded, '\n' delimited text received from the network every second.
 * Usage: network_wordcount.ts <hostname> <port>
 *   <hostname> and <port> describe the TCP server that Spark Streaming would connect to receive data.
 *
 * To run this on your local machine, you need to first run a Netcat server
 *    `$ nc -lk 9999`
 * and then run the example
 *    `$ npx tsx examples/network_wordcount.ts localhost 9999`
 *
 * (PySpark's examples/src/main/python/streaming/network_wordcount.py, in TypeScript.)
 */
import { StreamingContext } from '../lib';

if (process.argv.length !== 4) {
  console.error('Usage: network_wordcount.ts <hostname> <port>');
  process.exit(1);
}

const ssc = new StreamingContext({ batchInterval: 1 });

const lines = ssc.socketTextStream(process.argv[2], Number(process.argv[3]));
const counts = lines
  .flatMap((line) => line.split(' '))
  .map((word) => [word, 1] as [string, number])
  .reduceByKey((a, b) => a + b);
counts.pprint();

ssc.start();
process.on('SIGINT', () => void ssc.stop());
process.on('SIGTERM', () => void ssc.stop());
ssc.awaitTermination().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
