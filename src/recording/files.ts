// Small, strict helpers for reading recordings: lines, CSV cells, numbers and JSON, each failure an
// Error that names the file (and line).
import { readFileSync } from 'node:fs';

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${file}: ${code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? err})`}`);
  }
}

export function readJson(file: string): unknown {
  const text = readText(file);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

/** One CSV record and the line it starts on (1-based). */
export interface CsvRecord {
  cells: string[];
  line: number;
}

/**
 * The records of a CSV file (RFC 4180: fields in double quotes may hold commas and line breaks, ""
 * is a quote). Blank lines are skipped.
 */
export function readCsv(file: string): CsvRecord[] {
  const text = readText(file);
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let startLine = 1;
  const endRecord = () => {
    cells.push(cell);
    if (cells.length > 1 || cell !== '') records.push({ cells, line: startLine });
    cells = [];
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        cell += ch;
      }
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n') {
      endRecord();
      line++;
      startLine = line;
    } else if (ch !== '\r') cell += ch;
  }
  if (quoted) throw new Error(`${file}:${startLine}: a quoted field is never closed`);
  endRecord();
  return records;
}

/** Cell i as a finite number (or NaN when `nanAllowed` and the cell says nan); throws naming file and line. */
export function numberAt(cells: string[], i: number, file: string, line: number, nanAllowed = false): number {
  const text = (cells[i] ?? '').trim();
  if (nanAllowed && text.toLowerCase() === 'nan') return Number.NaN;
  const n = Number(text);
  if (text === '' || !Number.isFinite(n))
    throw new Error(`${file}:${line}: value ${i + 1} "${cells[i] ?? ''}" is not a number`);
  return n;
}
