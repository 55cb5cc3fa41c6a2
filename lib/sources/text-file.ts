import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StreamingContext } from '../dstream/context';
import { RDD } from '../dstream/rdd';
import { InputDStream } from './input-dstream';

declare module '../dstream/context' {
  interface StreamingContext {
    /**
     * An input stream of the lines of new files in `dir`, as Spark's textFileStream: each batch
     * reads the files that appeared (or were modified) since the previous batch; files whose name
     * starts with `.` or `_` are ignored. Move files into the directory atomically.
     * @example ssc.textFileStream('/data/incoming')
     */
    textFileStream(dir: string): TextFileInputDStream;
  }
}

/** Spark's FileInputDStream for text files. */
export class TextFileInputDStream extends InputDStream<string> {
  private readonly seen = new Map<string, number>();

  constructor(
    ssc: StreamingContext,
    readonly dir: string,
  ) {
    super(ssc);
  }

  protected compute(_time: number): RDD<string> {
    let names: string[];
    try {
      names = readdirSync(this.dir).sort();
    } catch (e) {
      throw new Error(
        `textFileStream: cannot list ${this.dir} (${(e as Error).message}); create the directory first.`,
      );
    }
    const lines: string[] = [];
    for (const name of names) {
      if (name.startsWith('.') || name.startsWith('_')) continue;
      const path = join(this.dir, name);
      const st = statSync(path);
      if (!st.isFile()) continue;
      if (this.seen.get(path) === st.mtimeMs) continue;
      this.seen.set(path, st.mtimeMs);
      const text = readFileSync(path, 'utf8');
      const ls = text.split('\n');
      if (ls.length && ls[ls.length - 1] === '') ls.pop();
      lines.push(...ls.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)));
    }
    return RDD.of(lines);
  }
}

StreamingContext.prototype.textFileStream = function (
  this: StreamingContext,
  dir: string,
): TextFileInputDStream {
  if (typeof dir !== 'string' || !dir) throw new Error('textFileStream(dir) needs a directory path.');
  return new TextFileInputDStream(this, dir);
};
