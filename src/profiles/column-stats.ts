/**
 * Per-column statistics for text formats, updated one value at a time on the upload's hot path:
 * the checks are ordered so that a column known to be text costs a null check and a bounded
 * count, and a numeric one a character scan and a parseFloat.
 */
import type { ColumnProfile, ColumnType } from './profile.ts';

const NULLS = new Set(['', 'NA', 'NaN', 'null']);
const BOOLEANS = new Set(['true', 'false', 'True', 'False', 'TRUE', 'FALSE']);
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
/** Distinct values counted per column before the column counts as high-cardinality (no `top`). */
const MAX_DISTINCT = 128;
const TOP = 20;

/** Bit flags of the kinds of values a column has held. */
const Seen = { None: 0, Integer: 1, Number: 2, Boolean: 4, Datetime: 8, Text: 16 } as const;
type Seen = number;

export class ColumnStats {
  readonly name: string;
  nulls = 0;
  #seen: Seen = Seen.None;
  #count = 0;
  #sum = 0;
  #absSum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;
  #minText: string | undefined;
  #maxText: string | undefined;
  #distinct: Map<string, number> | undefined = new Map();

  constructor(name: string) {
    this.name = name;
  }

  /** A value as text (CSV, TSV, a JSON string). */
  addText(value: string): void {
    if (value.length === 0 || (value.length <= 4 && NULLS.has(value))) {
      this.nulls += 1;
      return;
    }
    if (this.#seen & Seen.Text) {
      this.#countDistinct(value);
      return;
    }
    const numeric = numberKind(value);
    if (numeric !== Seen.None) {
      // Numbers get min, max and mean, not a frequency count (a column that later turns out
      // to be text then has no `top`: its counts would have missed the numeric values).
      this.#seen |= numeric;
      this.#distinct = undefined;
      this.#addNumber(Number.parseFloat(value));
      return;
    }
    this.#countDistinct(value);
    if (BOOLEANS.has(value)) {
      this.#seen |= Seen.Boolean;
    } else if (ISO_DATETIME.test(value)) {
      this.#seen |= Seen.Datetime;
      if (this.#minText === undefined || value < this.#minText) this.#minText = value;
      if (this.#maxText === undefined || value > this.#maxText) this.#maxText = value;
    } else {
      this.#seen |= Seen.Text;
    }
  }

  /** A JSON value (JSON lines): numbers and booleans keep their JSON type. */
  addJson(value: unknown): void {
    if (value === null || value === undefined) {
      this.nulls += 1;
    } else if (typeof value === 'number') {
      this.#seen |= Number.isInteger(value) ? Seen.Integer : Seen.Number;
      this.#addNumber(value);
    } else if (typeof value === 'boolean') {
      this.#seen |= Seen.Boolean;
      this.#countDistinct(String(value));
    } else if (typeof value === 'string') {
      if (NULLS.has(value)) {
        this.nulls += 1;
        return;
      }
      this.#countDistinct(value);
      if (!(this.#seen & Seen.Text) && ISO_DATETIME.test(value)) {
        this.#seen |= Seen.Datetime;
        if (this.#minText === undefined || value < this.#minText) this.#minText = value;
        if (this.#maxText === undefined || value > this.#maxText) this.#maxText = value;
      } else {
        this.#seen |= Seen.Text;
      }
    } else {
      // Objects and arrays: text for profiling purposes, not counted.
      this.#seen |= Seen.Text;
      this.#distinct = undefined;
    }
  }

  profile(): ColumnProfile {
    const type = this.#type();
    const numeric = type === 'integer' || type === 'number';
    return {
      name: this.name,
      type,
      nulls: this.nulls,
      min: numeric ? this.#min : type === 'datetime' ? (this.#minText ?? null) : null,
      max: numeric ? this.#max : type === 'datetime' ? (this.#maxText ?? null) : null,
      mean: numeric && this.#count > 0 ? this.#sum / this.#count : null,
      meanAbs: numeric && this.#count > 0 ? this.#absSum / this.#count : null,
      top: (type === 'string' || type === 'boolean') && this.#distinct ? topOf(this.#distinct) : null,
    };
  }

  #type(): ColumnType {
    const seen = this.#seen;
    if (seen === Seen.None) return 'empty';
    if (seen & Seen.Text) return 'string';
    if (seen === Seen.Boolean) return 'boolean';
    if (seen === Seen.Datetime) return 'datetime';
    if (seen === Seen.Integer) return 'integer';
    if ((seen & ~(Seen.Integer | Seen.Number)) === 0) return 'number';
    return 'string'; // a mix, e.g. numbers and dates
  }

  #addNumber(value: number): void {
    this.#count += 1;
    this.#sum += value;
    this.#absSum += Math.abs(value);
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
  }

  #countDistinct(value: string): void {
    const distinct = this.#distinct;
    if (!distinct) return;
    const count = distinct.get(value);
    if (count !== undefined) distinct.set(value, count + 1);
    else if (distinct.size < MAX_DISTINCT && value.length <= 256) distinct.set(value, 1);
    else this.#distinct = undefined; // high cardinality: stop counting
  }
}

function topOf(distinct: Map<string, number>): Array<{ value: string; count: number }> {
  return [...distinct]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, TOP)
    .map(([value, count]) => ({ value, count }));
}

/** Integer, Number (decimal or exponent) or None, by a scan of the characters (no regex, no allocation). */
function numberKind(value: string): Seen {
  let index = 0;
  const length = value.length;
  let code = value.charCodeAt(0);
  if (code === 43 || code === 45) index += 1; // + -
  let digits = 0;
  let kind: Seen = Seen.Integer;
  for (; index < length; index += 1) {
    code = value.charCodeAt(index);
    if (code >= 48 && code <= 57) digits += 1;
    else break;
  }
  if (index < length && value.charCodeAt(index) === 46) {
    kind = Seen.Number;
    for (index += 1; index < length; index += 1) {
      code = value.charCodeAt(index);
      if (code >= 48 && code <= 57) digits += 1;
      else break;
    }
  }
  if (digits === 0) return Seen.None;
  if (index < length && (value.charCodeAt(index) | 32) === 101) {
    kind = Seen.Number;
    index += 1;
    code = value.charCodeAt(index);
    if (code === 43 || code === 45) index += 1;
    let exponentDigits = 0;
    for (; index < length; index += 1) {
      code = value.charCodeAt(index);
      if (code >= 48 && code <= 57) exponentDigits += 1;
      else break;
    }
    if (exponentDigits === 0) return Seen.None;
  }
  return index === length ? kind : Seen.None;
}

/**
 * Text cells (CSV, TSV) typed as their column's profile types them: numbers as JSON numbers,
 * booleans as booleans, the null spellings as null. A number that a double would not hold
 * exactly (past 15 significant digits, or an integer past 2^53) stays text, as written.
 */
export function typedRows(rows: ReadonlyArray<ReadonlyArray<unknown>>): unknown[][] {
  const width = rows.reduce((widest, row) => Math.max(widest, row.length), 0);
  const types = Array.from({ length: width }, (_, column) => {
    const stats = new ColumnStats('');
    for (const row of rows) {
      const cell = row[column];
      if (typeof cell === 'string') stats.addText(cell);
    }
    return stats.profile().type;
  });
  return rows.map((row) =>
    row.map((cell, column) => (typeof cell === 'string' ? typedCell(cell, types[column] ?? 'string') : cell)),
  );
}

function typedCell(value: string, type: ColumnType): unknown {
  if (value.length === 0 || (value.length <= 4 && NULLS.has(value))) return null;
  switch (type) {
    case 'integer': {
      const number = Number(value);
      return Number.isSafeInteger(number) ? number : value;
    }
    case 'number':
      return significantDigits(value) <= 15 ? Number(value) : value;
    case 'boolean':
      return value.toLowerCase() === 'true';
    default:
      return value;
  }
}

/** Significant digits of a decimal number's text (sign, point, exponent and padding zeros aside). */
function significantDigits(value: string): number {
  const mantissa = value.replace(/^[+-]/, '').replace(/[eE].*$/, '');
  const digits = mantissa.replace('.', '').replace(/^0+/, '');
  const trimmed = mantissa.includes('.') ? digits.replace(/0+$/, '') : digits;
  return trimmed.length;
}
