/**
 * Rows of a Parquet file whose columns are all flat (no lists, maps or structs), at any depth:
 * the first rows for previews, any rows for an explanation's rows (table-rows.ts). Only the row
 * groups holding them are read, and, where the file has an offset index, only their pages. Pages
 * decoded by hyparquet's own decoders, values placed in rows here.
 *
 * Why not `parquetReadObjects` for these: hyparquet passes every page through its general
 * assembler for nested (Dremel-encoded) data, one value at a time. For a writer that puts a whole
 * row group's column in one page (100,000 values, as pyarrow does for small row groups) that
 * assembly was ~half of a 50-row preview's time (166–175 ms against a 150 ms target). A flat
 * column needs only "a definition level below the maximum is a null", which is one comparison
 * per row, and only for the rows the preview returns. Files with nested columns still go through
 * `parquetReadObjects` for previews (and have no rows to read at depth).
 *
 * These are hyparquet's internal modules (exported under `hyparquet/src/*.js`); the version is
 * pinned, and test/parquet-flat-rows.test.ts compares this reader's rows with `parquetReadObjects`
 * on the same files (dictionary and plain pages, v1 and v2, nulls, several pages, an offset index).
 *
 * Every page header is checked (parquet-bounds.ts) before it is decoded, and a column whose
 * pages hold fewer values than the row group declares is refused, never padded with nulls.
 */
import type { AsyncBuffer, ColumnChunk, DecodedArray, FileMetaData, PageHeader, SchemaTree } from 'hyparquet';
import { parquetHeader, readPage } from 'hyparquet/src/column.js';
import { convert, convertWithDictionary, DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import { decompressPage, readDataPage, readDataPageV2 } from 'hyparquet/src/datapage.js';
import { readOffsetIndex } from 'hyparquet/src/indexes.js';
import { parquetSchema } from 'hyparquet/src/metadata.js';
import { getMaxDefinitionLevel, getTreePath } from 'hyparquet/src/schema.js';
import { checkPage, chunkRange, invalidFile } from './parquet-bounds.ts';

/** Rows as arrays in schema order, or undefined when the file is not one this reader handles. */
export async function firstRowsOfFlatFile(
  file: AsyncBuffer,
  metadata: FileMetaData,
  wanted: number,
): Promise<unknown[][] | undefined> {
  return rowsOfFlatFile(file, metadata, 0, wanted);
}

/**
 * Rows `first` … `first + count - 1` (fewer past the end) as arrays in schema order, or undefined
 * when the file has nested columns. Only the row groups that hold them are read, and within a
 * row group, with an offset index, only the pages that hold them (and the dictionary pages).
 *
 * Requests, not bytes, are what a row costs on an object store (each is a round trip; the S3
 * test server spends ~1 ms on one): a row group's offset indexes, which writers put side by
 * side, are read in one request, and the byte ranges of all its columns are merged where less
 * than MERGE_GAP_BYTES lies between them, so a small row group is one read, not one per column.
 */
export async function rowsOfFlatFile(
  file: AsyncBuffer,
  metadata: FileMetaData,
  first: number,
  count: number,
): Promise<unknown[][] | undefined> {
  const tree = parquetSchema(metadata);
  if (tree.children.some((column) => column.children.length > 0 || column.element.repetition_type === 'REPEATED')) {
    return undefined;
  }
  const end = first + count;
  const rows: unknown[][] = [];
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupRows = Number(group.num_rows);
    const groupEnd = groupStart + groupRows;
    if (groupEnd > first && groupStart < end) {
      const from = Math.max(first, groupStart) - groupStart;
      const to = Math.min(end, groupEnd) - groupStart;
      const locations = await offsetIndexes(file, group.columns);
      const plans = group.columns.map((chunk, column) =>
        planChunk(chunk, chunkRange(chunk, file.byteLength), locations[column], from, to),
      );
      const read = await mergedReads(
        file,
        plans.flatMap((plan) =>
          plan.dictionaryEnd > plan.chunkStart
            ? [
                [plan.chunkStart, plan.dictionaryEnd],
                [plan.start, plan.end],
              ]
            : [[plan.start, plan.end]],
        ) as Array<[number, number]>,
      );
      const columns = group.columns.map((chunk, column) => valuesOf(read, tree, chunk, plans[column] as ReadPlan, from, to));
      for (let row = 0; row < to - from; row += 1) rows.push(columns.map((values) => values[row]));
    }
    groupStart = groupEnd;
    if (groupStart >= end) break;
  }
  return rows;
}

/** Ranges of one file closer than this are read as one (the bytes between are cheaper than a request)… */
const MERGE_GAP_BYTES = 64 * 1024;
/** …as long as one read stays within this. */
const MERGED_MAX_BYTES = 16 * 1024 * 1024;
/** Offset indexes of one row group read in one request when they span at most this. */
const INDEX_SPAN_BYTES = 4 * 1024 * 1024;

type Slice = (start: number, end: number) => ArrayBuffer;

/** Reads `ranges` in as few requests as MERGE_GAP_BYTES allows; answers slices of what was read. */
async function mergedReads(file: AsyncBuffer, ranges: Array<[number, number]>): Promise<Slice> {
  const sorted = ranges.filter(([start, end]) => end > start).sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [start, end] of sorted) {
    const last = merged.at(-1);
    if (last && start - last[1] <= MERGE_GAP_BYTES && Math.max(last[1], end) - last[0] <= MERGED_MAX_BYTES) {
      last[1] = Math.max(last[1], end);
    } else merged.push([start, end]);
  }
  const buffers = await Promise.all(merged.map(([start, end]) => file.slice(start, end)));
  return (start, end) => {
    const index = merged.findIndex(([from, to]) => from <= start && end <= to);
    const [from] = merged[index] as [number, number];
    return (buffers[index] as ArrayBuffer).slice(start - from, end - from);
  };
}

type PageLocations = ReturnType<typeof readOffsetIndex>['page_locations'];

/**
 * The page locations of each column chunk of a row group (undefined for a chunk without an
 * offset index), its indexes read in one request when they lie together, else one each. An index
 * that points outside the file is the file's fault.
 */
async function offsetIndexes(file: AsyncBuffer, chunks: ColumnChunk[]): Promise<Array<PageLocations | undefined>> {
  const spans = chunks.map((chunk) => {
    if (!chunk.offset_index_offset || !chunk.offset_index_length) return undefined;
    const start = Number(chunk.offset_index_offset);
    const end = start + chunk.offset_index_length;
    if (!Number.isSafeInteger(end) || start < 4 || end > file.byteLength - 8 || end < start) {
      throw invalidFile(`the offset index of a column chunk is at bytes ${start}-${end}, outside the file`);
    }
    return [start, end] as [number, number];
  });
  const present = spans.filter((span) => span !== undefined);
  if (present.length === 0) return spans.map(() => undefined);
  const low = Math.min(...present.map(([start]) => start));
  const high = Math.max(...present.map(([, end]) => end));
  let slice: Slice;
  if (high - low <= INDEX_SPAN_BYTES) {
    const bytes = await file.slice(low, high);
    slice = (start, end) => bytes.slice(start - low, end - low);
  } else {
    const read = await Promise.all(present.map(([start, end]) => file.slice(start, end)));
    slice = (start) => read[present.findIndex(([from]) => from === start)] as ArrayBuffer;
  }
  return spans.map((span) =>
    span ? readOffsetIndex({ view: new DataView(slice(span[0], span[1])), offset: 0 }).page_locations : undefined,
  );
}

interface ReadPlan {
  chunkStart: number;
  /** The pages to read: from the one holding the first row wanted to the end of the one holding the last. */
  start: number;
  end: number;
  /** The row (within the row group) the first page read starts at. */
  firstRow: number;
  /** Where the dictionary page (at the chunk's start) ends, when it is read apart from the pages. */
  dictionaryEnd: number;
}

/**
 * What of a column chunk to read for rows `from` … `to - 1`: with an offset index, the pages
 * holding them (and the dictionary page before them); without one, or with one that points
 * outside its chunk (not believed), the whole chunk.
 */
function planChunk(
  chunk: ColumnChunk,
  range: { start: number; end: number },
  locations: PageLocations | undefined,
  from: number,
  to: number,
): ReadPlan {
  const whole = { chunkStart: range.start, start: range.start, end: range.end, firstRow: 0, dictionaryEnd: range.start };
  if (!chunk.meta_data || !locations || locations.length === 0) return whole;
  let chosen: { start: number; end: number; firstRow: number } | undefined;
  for (const page of locations) {
    const firstRow = Number(page.first_row_index);
    const start = Number(page.offset);
    const end = start + page.compressed_page_size;
    if (firstRow >= to) break;
    if (!chosen || firstRow <= from) chosen = { start, end, firstRow };
    else chosen.end = end;
  }
  const firstPage = Number(locations[0]?.offset ?? range.start);
  if (!chosen || chosen.start < range.start || chosen.end > range.end || chosen.end <= chosen.start) return whole;
  if (firstPage < range.start || firstPage > chosen.start) return whole;
  return { chunkStart: range.start, ...chosen, dictionaryEnd: chosen.start === range.start ? range.start : firstPage };
}

/** The values of rows `from` … `to - 1` of one column chunk (row numbers within its row group). */
function valuesOf(read: Slice, tree: SchemaTree, chunk: ColumnChunk, plan: ReadPlan, from: number, to: number): unknown[] {
  const meta = chunk.meta_data;
  if (!meta || chunk.file_path) throw new Error('parquet column chunk without metadata');
  const schemaPath = getTreePath(tree, meta.path_in_schema);
  const decoder = {
    pathInSchema: meta.path_in_schema,
    type: meta.type,
    element: (schemaPath.at(-1) as SchemaTree).element,
    schemaPath,
    codec: meta.codec,
    parsers: DEFAULT_PARSERS,
  };
  const maxDefinition = getMaxDefinitionLevel(schemaPath);
  const values: unknown[] = [];
  let dictionary: DecodedArray | undefined;
  // The dictionary page, when the pages read start after it.
  if (plan.dictionaryEnd > plan.chunkStart) {
    const reader = { view: new DataView(read(plan.chunkStart, plan.dictionaryEnd)), offset: 0 };
    const header = parquetHeader(reader);
    checkPage(header, reader.view.byteLength - reader.offset, meta.codec);
    if (header.type === 'DICTIONARY_PAGE') {
      const { data } = readPage(reader, header, decoder, undefined, undefined, 0);
      if (data) dictionary = convert(data, decoder);
    }
  }
  const reader = { view: new DataView(read(plan.start, plan.end)), offset: 0 };
  let row = plan.firstRow;
  while (row < to && reader.offset < reader.view.byteLength - 1) {
    const header = parquetHeader(reader);
    checkPage(header, reader.view.byteLength - reader.offset, meta.codec);
    if (header.type === 'DICTIONARY_PAGE') {
      const { data } = readPage(reader, header, decoder, undefined, undefined, 0);
      if (data) dictionary = convert(data, decoder);
      continue;
    }
    // A page wholly before the rows asked for is stepped over, not decompressed.
    const pageRows = header.data_page_header?.num_values ?? header.data_page_header_v2?.num_rows;
    if (pageRows !== undefined && row + pageRows <= from) {
      reader.offset += header.compressed_page_size;
      row += pageRows;
      continue;
    }
    const page = decodePage(reader, header, decoder);
    if (!page) continue;
    const converted = convertWithDictionary(page.values, dictionary, page.encoding, decoder);
    const levels = page.definitionLevels;
    let next = 0;
    for (let index = 0; index < page.rows && row < to; index += 1, row += 1) {
      const present = !levels?.length || levels[index] === maxDefinition;
      const value = present ? converted[next++] : null;
      if (row >= from) values.push(value);
    }
  }
  if (values.length < to - from) {
    throw invalidFile(
      `the column chunk of ${meta.path_in_schema.join('.')} holds ${values.length} of rows ${from}-${to - 1} where its row group declares them`,
    );
  }
  return values;
}

type Decoder = Parameters<typeof readDataPage>[2];

function decodePage(
  reader: { view: DataView; offset: number },
  header: PageHeader,
  decoder: Decoder,
):
  | {
      values: DecodedArray;
      definitionLevels: number[] | undefined;
      encoding: Parameters<typeof convertWithDictionary>[2];
      rows: number;
    }
  | undefined {
  const compressed = new Uint8Array(reader.view.buffer, reader.view.byteOffset + reader.offset, header.compressed_page_size);
  reader.offset += header.compressed_page_size;
  if (header.type === 'DATA_PAGE' && header.data_page_header) {
    const pageHeader = header.data_page_header;
    const bytes = decompressPage(compressed, Number(header.uncompressed_page_size), decoder.codec, undefined);
    const { definitionLevels, dataPage } = readDataPage(bytes, pageHeader, decoder);
    return { values: dataPage, definitionLevels, encoding: pageHeader.encoding, rows: pageHeader.num_values };
  }
  if (header.type === 'DATA_PAGE_V2' && header.data_page_header_v2) {
    const pageHeader = header.data_page_header_v2;
    const { definitionLevels, dataPage } = readDataPageV2(compressed, header, decoder);
    return { values: dataPage, definitionLevels, encoding: pageHeader.encoding, rows: pageHeader.num_rows };
  }
  return undefined; // an index page: skipped
}
