import * as fs from 'node:fs';

/**
 * Lines `from` .. `from + max` of a log file, and how many lines it has, read as a stream of
 * chunks: a log of gigabytes costs the lines asked for, not the file. Lines outside the range
 * are only counted, never decoded. A missing file is an empty log.
 */
export async function readLogLines(file: string, from: number, max: number): Promise<{ lines: string[]; total: number }> {
  const lines: string[] = [];
  let total = 0;
  /** The part of a wanted line that ended a chunk. */
  let carry: Buffer[] = [];
  const wanted = () => total >= from && lines.length < max;
  try {
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
        if (wanted()) lines.push(Buffer.concat([...carry, chunk.subarray(start, nl)]).toString('utf8'));
        carry = [];
        total++;
        start = nl + 1;
      }
      if (start < chunk.length && wanted()) carry.push(chunk.subarray(start));
      else if (start < chunk.length) carry = [Buffer.alloc(0)];
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], total: 0 };
    throw error;
  }
  // A last line without its newline (a job still writing) counts too.
  if (carry.length > 0) {
    if (wanted()) lines.push(Buffer.concat(carry).toString('utf8'));
    total++;
  }
  return { lines, total };
}
