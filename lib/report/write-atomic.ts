import { renameSync, writeFileSync } from 'node:fs';

/** Writes atomically: a run killed mid-write still leaves the previous complete report. */
export function writeAtomic(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}
