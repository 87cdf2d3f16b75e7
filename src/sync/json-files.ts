/**
 * The JSON files workers keep on their own disk (staging and the membership index): written
 * atomically, read back with "never written" told apart from "unreadable".
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * The parsed content of `file`, or undefined when it does not exist. Content that does not parse
 * throws what `corrupt` makes of it (by default JSON.parse's own SyntaxError).
 */
export async function readJsonFile<T>(
  file: string,
  corrupt?: (reason: string) => Error,
): Promise<T | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw corrupt ? corrupt((err as Error).message) : err;
  }
}

/**
 * Writes through a temporary file and a rename, so a process killed mid-write leaves the
 * previous version or nothing; readable by the worker's user only (the data is personal).
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await fs.writeFile(tmp, text, { mode: 0o600 });
  await fs.rename(tmp, file);
}
