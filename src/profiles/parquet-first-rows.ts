/**
 * The first rows of a Parquet file whose columns are all flat (no lists, maps or structs): pages
 * decoded by hyparquet's own decoders, values placed in rows here.
 *
 * Why not `parquetReadObjects` for these: hyparquet passes every page through its general
 * assembler for nested (Dremel-encoded) data, one value at a time. For a writer that puts a whole
 * row group's column in one page (100,000 values, as pyarrow does for small row groups) that
 * assembly was ~half of a 50-row preview's time (166–175 ms against a 150 ms target). A flat
 * column needs only "a definition level below the maximum is a null", which is one comparison
 * per row, and only for the rows the preview returns. Files with nested columns, or whose first
 * row group holds fewer rows than asked for, still go through `parquetReadObjects`.
 *
 * These are hyparquet's internal modules (exported under `hyparquet/src/*.js`); the version is
 * pinned, and test/parquet-first-rows.test.ts compares this reader's rows with `parquetReadObjects`
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
  const tree = parquetSchema(metadata);
  if (tree.children.some((column) => column.children.length > 0 || column.element.repetition_type === 'REPEATED')) {
    return undefined;
  }
  const group = metadata.row_groups[0];
  const count = Math.min(wanted, Number(metadata.num_rows));
  if (!group || count <= 0) return [];
  if (Number(group.num_rows) < count) return undefined;
  const columns = await Promise.all(group.columns.map((chunk) => firstValues(file, tree, chunk, count)));
  return Array.from({ length: count }, (_, row) => columns.map((values) => values[row]));
}

async function firstValues(file: AsyncBuffer, tree: SchemaTree, chunk: ColumnChunk, count: number): Promise<unknown[]> {
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
  const range = chunkRange(chunk, file.byteLength);
  const start = range.start;
  const end = await endOfFirstPages(file, chunk, range, count);
  const bytes = await file.slice(start, end);
  const reader = { view: new DataView(bytes), offset: 0 };
  const maxDefinition = getMaxDefinitionLevel(schemaPath);
  const values: unknown[] = [];
  let dictionary: DecodedArray | undefined;
  while (values.length < count && reader.offset < reader.view.byteLength - 1) {
    const header = parquetHeader(reader);
    checkPage(header, reader.view.byteLength - reader.offset, meta.codec);
    if (header.type === 'DICTIONARY_PAGE') {
      const { data } = readPage(reader, header, decoder, undefined, undefined, 0);
      if (data) dictionary = convert(data, decoder);
      continue;
    }
    const page = decodePage(reader, header, decoder);
    if (!page) continue;
    const converted = convertWithDictionary(page.values, dictionary, page.encoding, decoder);
    const levels = page.definitionLevels;
    let next = 0;
    for (let index = 0; index < page.rows && values.length < count; index += 1) {
      values.push(!levels?.length || levels[index] === maxDefinition ? converted[next++] : null);
    }
  }
  if (values.length < count) {
    throw invalidFile(
      `the column chunk of ${meta.path_in_schema.join('.')} holds ${values.length} values where its row group declares ${count} rows or more`,
    );
  }
  return values;
}

/**
 * With an offset index, the byte after the last page holding one of the first `count` rows
 * (an index that points outside its chunk is not believed: the whole chunk is read).
 */
async function endOfFirstPages(
  file: AsyncBuffer,
  chunk: ColumnChunk,
  range: { start: number; end: number },
  count: number,
): Promise<number> {
  if (!chunk.offset_index_offset || !chunk.offset_index_length) return range.end;
  const indexStart = Number(chunk.offset_index_offset);
  const indexEnd = indexStart + chunk.offset_index_length;
  if (!Number.isSafeInteger(indexEnd) || indexStart < 4 || indexEnd > file.byteLength - 8 || indexEnd < indexStart) {
    throw invalidFile(`the offset index of a column chunk is at bytes ${indexStart}-${indexEnd}, outside the file`);
  }
  const index = await file.slice(indexStart, indexEnd);
  const pages = readOffsetIndex({ view: new DataView(index), offset: 0 }).page_locations;
  let end = range.end;
  for (const page of pages) {
    if (Number(page.first_row_index) >= count) break;
    end = Number(page.offset) + page.compressed_page_size;
  }
  return end > range.start && end <= range.end ? end : range.end;
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
