import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCell, csvFileName, toCsv } from './csv.js';

/** A minimal RFC 4180 reader, to prove what we write reads back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  row.push(cell);
  rows.push(row);
  return rows;
}

describe('csv export', () => {
  it.each([
    ['=HYPERLINK("http://evil.example")', `"'=HYPERLINK(""http://evil.example"")"`],
    ['+1+1', "'+1+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\rcmd', `"'\rcmd"`],
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
  ])('writes %j as %j', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it('keeps numbers, including negative ones, as numbers', () => {
    expect(csvCell(-12.5)).toBe('-12.5');
    expect(csvCell(0)).toBe('0');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(null)).toBe('');
    expect(csvCell(true)).toBe('true');
  });

  it('round-trips any text, with formula starts neutralised', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.string(), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }),
        (rows) => {
          const width = rows[0]?.length ?? 1;
          const table = rows.map((r) => Array.from({ length: width }, (_, i) => r[i] ?? ''));
          const header = Array.from({ length: width }, (_, i) => `c${i}`);
          const parsed = parseCsv(toCsv(header, table));
          expect(parsed[0]).toEqual(header);
          parsed.slice(1).forEach((row, r) => {
            row.forEach((cell, c) => {
              const original = table[r]?.[c] ?? '';
              expect(cell).toBe(/^[=+\-@\t\r]/.test(original) ? `'${original}` : original);
            });
          });
        },
      ),
    );
  });

  it('names files safely', () => {
    expect(csvFileName('Acme <Store>', 'Top pages', '2026-11-25')).toBe(
      'acme-store-top-pages-2026-11-25.csv',
    );
    expect(csvFileName('../../etc/passwd')).toBe('etc-passwd.csv');
    expect(csvFileName('')).toBe('export.csv');
  });
});
