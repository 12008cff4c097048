/**
 * A streaming RFC 4180 record scanner for the profiler's hot path. csv-parse (kept for
 * previews) measured 7–10 MiB/s on IEEE-CIS-shaped rows of 394 short fields, which would bound
 * every wide-CSV upload to that rate; this scanner only splits records and fields, with the
 * same rules (quoted fields with "" escapes and newlines, \r\n or \n, a BOM), and reports what
 * it cannot parse with the line it is on. A test checks it against csv-parse on generated files.
 */
export interface ScannerEvents {
  /** `fields` holds at most `maxFields` values; `count` is how many the record had. */
  record(fields: string[], line: number, count: number): void;
  problem(line: number, message: string): void;
}

/** Characters of one field kept for profiling; the rest of a longer field is skipped (memory stays bounded). */
const MAX_FIELD_CHARS = 64 * 1024;
/**
 * Characters kept per record, all fields together; later fields of a longer record are kept
 * empty. With the field cap this bounds a profiler's memory on any input (a file with no line
 * breaks is one record), and so the memory of many uploads profiled at once.
 */
const MAX_RECORD_CHARS = 4 * 1024 * 1024;
const QUOTE = 34;
const LF = 10;
const CR = 13;

export class CsvScanner {
  readonly #delimiter: number;
  readonly #events: ScannerEvents;
  #fields: string[] = [];
  /** Fields of the current record past maxFields: counted, not kept. */
  #dropped = 0;
  #recordChars = 0;
  readonly #maxFields: number;
  /** Text of the current field carried over from an earlier chunk. */
  #carry = '';
  #inQuotes = false;
  /** The field was quoted and its closing quote seen: only a delimiter or a line end may follow. */
  #closed = false;
  /** A quote ended the last chunk inside a quoted field: an escape or the closing quote. */
  #quotePending = false;
  #bad: string | undefined;
  #line = 1;
  #recordLine = 1;
  #started = false;
  #afterCr = false;
  /** The current field passed MAX_FIELD_CHARS: the rest of it is not kept. */
  #full = false;
  /** The current record had a quoted field (so `""` alone on a line is a record, not an empty line). */
  #quotedInRecord = false;

  constructor(delimiter: string, events: ScannerEvents, maxFields = Number.POSITIVE_INFINITY) {
    this.#delimiter = delimiter.charCodeAt(0);
    this.#events = events;
    this.#maxFields = maxFields;
  }

  write(text: string): void {
    let i = 0;
    const n = text.length;
    if (!this.#started && n > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    if (this.#afterCr && i < n) {
      this.#afterCr = false;
      if (text.charCodeAt(i) === LF) i += 1;
    }
    if (this.#quotePending && i < n) {
      this.#quotePending = false;
      if (text.charCodeAt(i) === QUOTE) {
        this.#append('"');
        i += 1;
      } else {
        this.#inQuotes = false;
        this.#closed = true;
      }
    }
    let start = i;
    while (i < n) {
      if (this.#inQuotes) {
        const quote = text.indexOf('"', i);
        const end = quote === -1 ? n : quote;
        this.#countLines(text, i, end);
        if (quote === -1) {
          this.#append(text.slice(i, n));
          return;
        }
        this.#append(text.slice(i, quote));
        if (quote + 1 === n) {
          this.#quotePending = true;
          return;
        }
        if (text.charCodeAt(quote + 1) === QUOTE) {
          this.#append('"');
          i = quote + 2;
        } else {
          this.#inQuotes = false;
          this.#closed = true;
          i = quote + 1;
        }
        start = i;
        continue;
      }
      const code = text.charCodeAt(i);
      if (code === this.#delimiter) {
        this.#endField(text, start, i);
        i += 1;
        start = i;
      } else if (code === LF || code === CR) {
        this.#endField(text, start, i);
        this.#endRecord();
        this.#line += 1;
        i += 1;
        if (code === CR) {
          if (i === n) this.#afterCr = true;
          else if (text.charCodeAt(i) === LF) i += 1;
        }
        start = i;
        this.#recordLine = this.#line;
      } else if (code === QUOTE) {
        if (i === start && this.#carry === '' && !this.#closed) {
          this.#inQuotes = true;
          this.#quotedInRecord = true;
          i += 1;
          start = i;
        } else {
          this.#bad ??= `Invalid quote on line ${this.#line}: a quote inside an unquoted field, or text after a closing quote.`;
          i += 1;
        }
      } else {
        if (this.#closed) {
          this.#bad ??= `Invalid closing quote on line ${this.#line}: text follows it instead of a delimiter or a line end.`;
          this.#closed = false;
        }
        i += 1;
      }
    }
    if (!this.#inQuotes && start < n) this.#append(text.slice(start, n));
  }

  /**
   * The profiler skipped bytes to catch up with the upload: the record in progress is dropped
   * and the next text starts a record, `lines` line feeds further on.
   */
  restart(lines: number): void {
    // A CR that ended the last text was counted as a line end; the LF after it, among the
    // skipped bytes, is in `lines` too.
    const counted = this.#afterCr && lines > 0 ? 1 : 0;
    this.#fields = [];
    this.#dropped = 0;
    this.#recordChars = 0;
    this.#carry = '';
    this.#inQuotes = false;
    this.#closed = false;
    this.#quotePending = false;
    this.#bad = undefined;
    this.#afterCr = false;
    this.#full = false;
    this.#quotedInRecord = false;
    this.#line += lines - counted;
    this.#recordLine = this.#line;
  }

  #append(part: string): void {
    if (this.#full) return;
    this.#carry += part;
    if (this.#carry.length > MAX_FIELD_CHARS) {
      this.#carry = this.#carry.slice(0, MAX_FIELD_CHARS);
      this.#full = true;
    }
  }

  end(): void {
    if (this.#inQuotes || this.#quotePending) {
      if (this.#quotePending) {
        this.#quotePending = false;
        this.#inQuotes = false;
        this.#closed = true;
      } else {
        this.#bad ??= `Quote not closed: the quoted field that starts on line ${this.#recordLine} never ends.`;
        this.#inQuotes = false;
      }
    }
    if (this.#fields.length > 0 || this.#carry !== '' || this.#closed) {
      this.#endField('', 0, 0);
      this.#endRecord();
    }
  }

  #endField(text: string, start: number, end: number): void {
    let value: string;
    if (this.#full) value = this.#carry;
    else if (this.#carry === '')
      value = end - start > MAX_FIELD_CHARS ? text.slice(start, start + MAX_FIELD_CHARS) : text.slice(start, end);
    else value = (this.#carry + text.slice(start, end)).slice(0, MAX_FIELD_CHARS);
    if (this.#fields.length >= this.#maxFields) this.#dropped += 1;
    else if (this.#recordChars + value.length > MAX_RECORD_CHARS) this.#fields.push('');
    else {
      this.#recordChars += value.length;
      this.#fields.push(value);
    }
    this.#carry = '';
    this.#full = false;
    this.#closed = false;
  }

  #endRecord(): void {
    const fields = this.#fields;
    const count = fields.length + this.#dropped;
    const quoted = this.#quotedInRecord;
    this.#fields = [];
    this.#dropped = 0;
    this.#recordChars = 0;
    this.#quotedInRecord = false;
    if (this.#bad !== undefined) {
      this.#events.problem(this.#recordLine, this.#bad);
      this.#bad = undefined;
      return;
    }
    // An empty line is no record (csv-parse's skip_empty_lines).
    if (count === 1 && fields[0] === '' && !quoted) return;
    this.#events.record(fields, this.#recordLine, count);
  }

  #countLines(text: string, from: number, to: number): void {
    for (let index = text.indexOf('\n', from); index !== -1 && index < to; index = text.indexOf('\n', index + 1)) {
      this.#line += 1;
    }
  }
}
