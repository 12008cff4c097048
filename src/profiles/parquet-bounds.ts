/**
 * What a Parquet file declares about itself is checked before anything is allocated or decoded
 * by it. hyparquet trusts its input: a page header's value count sizes the arrays it decodes
 * into, its uncompressed size sizes the decompression buffer, and the footer's offsets say where
 * to read. A file of a few hundred bytes can claim 2^31 values. So:
 * - the footer is at most FOOTER_MAX_BYTES and lies inside the file;
 * - every column chunk to be read lies inside the file, before the footer;
 * - every page header is checked against the bytes that carry it (below) before it is decoded.
 * What gets through is still decoded on a worker thread with a heap limit and a deadline
 * (parquet-reading.ts): these checks keep the memory outside that heap (typed arrays) bounded
 * and give a clear answer; the thread is the last line.
 */
import type { ColumnChunk, FileMetaData, PageHeader } from 'hyparquet';
import { AppError } from '../errors.ts';

/** Largest footer read (thrift metadata; a wide file with many row groups has a few MB). */
export const FOOTER_MAX_BYTES = 8 * 1024 * 1024;
/** Largest page decompressed. */
export const PAGE_MAX_BYTES = 64 * 1024 * 1024;
/** Most values one page may declare (writers cut pages at 20,000 rows or 1 MiB; 2^23 is far past both). */
export const PAGE_MAX_VALUES = 2 ** 23;
/** Snappy expands at most ~21.3 times (a 3-byte copy of 64 bytes); with room for its preamble. */
const SNAPPY_MAX_RATIO = 22;

export function invalidFile(detail: string): AppError {
  return new AppError('invalid_file', `The Parquet file is not what it declares: ${detail}.`);
}

/** Checks the last 8 bytes (footer length, magic) of a file of `size` bytes. */
export function checkFooter(tail: DataView, size: number): void {
  if (size < 12) throw invalidFile(`it has ${size} bytes, fewer than Parquet's 12 of magic and footer length`);
  const magic = tail.getUint32(tail.byteLength - 4, false);
  if (magic !== 0x50415231) throw invalidFile('it does not end with the PAR1 magic');
  const footerLength = tail.getUint32(tail.byteLength - 8, true);
  if (footerLength > size - 12) throw invalidFile(`its footer claims ${footerLength} bytes of a ${size}-byte file`);
  if (footerLength > FOOTER_MAX_BYTES) {
    throw invalidFile(`its footer has ${footerLength} bytes; at most ${FOOTER_MAX_BYTES} are read`);
  }
}

/** The byte range [start, end) of a column chunk, checked to lie in the file's data. */
export function chunkRange(chunk: ColumnChunk, size: number): { start: number; end: number } {
  const meta = chunk.meta_data;
  if (!meta || chunk.file_path) throw invalidFile('a column chunk has no metadata or lives in another file');
  const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
  const length = Number(meta.total_compressed_size);
  const end = start + length;
  const name = meta.path_in_schema.join('.');
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || start < 4 || length < 0 || end > size - 8) {
    throw invalidFile(`the column chunk of ${name} is at bytes ${start}-${end}, outside the ${size}-byte file`);
  }
  return { start, end };
}

/** The footer's counts that size what is decoded. */
export function checkMetadata(metadata: FileMetaData): void {
  const rows = Number(metadata.num_rows);
  if (!Number.isSafeInteger(rows) || rows < 0) throw invalidFile(`it claims ${metadata.num_rows} rows`);
  for (const group of metadata.row_groups) {
    const groupRows = Number(group.num_rows);
    if (!Number.isSafeInteger(groupRows) || groupRows < 0 || groupRows > rows) {
      throw invalidFile(`a row group claims ${group.num_rows} rows of the file's ${rows}`);
    }
  }
}

/**
 * One page header against the `available` bytes after it in its chunk, and the codec that
 * inflates it: sizes that the bytes cannot carry, or that no writer makes, are refused.
 */
export function checkPage(header: PageHeader, available: number, codec: string): void {
  const compressed = header.compressed_page_size;
  const uncompressed = header.uncompressed_page_size;
  if (!Number.isInteger(compressed) || compressed < 0 || compressed > available) {
    throw invalidFile(`a page claims ${compressed} bytes where ${available} are left in its column chunk`);
  }
  const inflatable = codec === 'UNCOMPRESSED' ? compressed : compressed * SNAPPY_MAX_RATIO + 64;
  if (!Number.isInteger(uncompressed) || uncompressed < 0 || uncompressed > Math.min(inflatable, PAGE_MAX_BYTES)) {
    throw invalidFile(`a page of ${compressed} bytes claims to inflate to ${uncompressed}`);
  }
  const counts = [
    header.data_page_header?.num_values,
    header.data_page_header_v2?.num_values,
    header.data_page_header_v2?.num_rows,
    header.data_page_header_v2?.num_nulls,
  ];
  for (const count of counts) {
    if (count !== undefined && (!Number.isInteger(count) || count < 0 || count > PAGE_MAX_VALUES)) {
      throw invalidFile(`a page claims ${count} values (at most ${PAGE_MAX_VALUES} are read from one page)`);
    }
  }
  const v2 = header.data_page_header_v2;
  if (v2) {
    const levels = v2.definition_levels_byte_length + v2.repetition_levels_byte_length;
    if (v2.num_nulls > v2.num_values || !(levels >= 0) || levels > compressed) {
      throw invalidFile('a page header contradicts itself (nulls or level lengths)');
    }
  }
  const dictionary = header.dictionary_page_header;
  // A dictionary entry takes one byte at least (PLAIN: 4 for numbers, 4 + length for text).
  if (
    dictionary &&
    (!Number.isInteger(dictionary.num_values) || dictionary.num_values < 0 || dictionary.num_values > uncompressed)
  ) {
    throw invalidFile(`a dictionary of ${uncompressed} bytes claims ${dictionary.num_values} entries`);
  }
}
