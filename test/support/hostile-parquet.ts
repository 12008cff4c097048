/**
 * Parquet files that lie about themselves, built byte by byte (hyparquet-writer's page-header and
 * footer writers): one required INT32 column `x` with one uncompressed PLAIN data page v1, whose
 * declared counts, sizes and offsets a test overrides. Unchanged, the file is valid and holds
 * `rows` values 0, 1, 2, …
 */
import { ByteWriter } from 'hyparquet-writer/src/bytewriter.js';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';

export interface Lies {
  rows?: number;
  /** The page header's num_values. */
  pageValues?: number;
  /** The page header's uncompressed_page_size. */
  pageUncompressed?: number;
  /** The footer's data_page_offset of the column chunk. */
  chunkOffset?: number;
  /** The footer's total_compressed_size of the column chunk. */
  chunkLength?: number;
  /** The footer's num_rows (file and row group). */
  declaredRows?: number;
  /** Key-value pairs added to the footer, to make it large and costly to parse. */
  footerEntries?: number;
}

const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]);

export function hostileParquet(lies: Lies = {}): Buffer {
  const rows = lies.rows ?? 3;
  const writer = new ByteWriter();
  writer.appendBytes(MAGIC);
  const start = writer.offset;
  const body = new ByteWriter();
  for (let value = 0; value < rows; value += 1) body.appendInt32(value);
  writePageHeader(writer, {
    type: 'DATA_PAGE',
    uncompressed_page_size: lies.pageUncompressed ?? body.offset,
    compressed_page_size: body.offset,
    data_page_header: {
      num_values: lies.pageValues ?? rows,
      encoding: 'PLAIN',
      definition_level_encoding: 'RLE',
      repetition_level_encoding: 'RLE',
    },
  });
  writer.appendBytes(body.getBytes());
  const length = writer.offset - start;
  const declaredRows = BigInt(lies.declaredRows ?? rows);
  const metadata = {
    version: 1,
    schema: [
      { name: 'schema', num_children: 1 },
      { name: 'x', type: 'INT32', repetition_type: 'REQUIRED' },
    ],
    num_rows: declaredRows,
    row_groups: [
      {
        num_rows: declaredRows,
        total_byte_size: BigInt(length),
        columns: [
          {
            file_offset: BigInt(start),
            meta_data: {
              type: 'INT32',
              encodings: ['PLAIN'],
              path_in_schema: ['x'],
              codec: 'UNCOMPRESSED',
              num_values: declaredRows,
              total_uncompressed_size: BigInt(lies.chunkLength ?? length),
              total_compressed_size: BigInt(lies.chunkLength ?? length),
              data_page_offset: BigInt(lies.chunkOffset ?? start),
            },
          },
        ],
      },
    ],
    key_value_metadata: lies.footerEntries
      ? Array.from({ length: lies.footerEntries }, (_, index) => ({ key: String(index % 10) }))
      : undefined,
    metadata_length: 0,
  };
  // The metadata and its length, then the magic.
  writeMetadata(writer, metadata as unknown as Parameters<typeof writeMetadata>[1]);
  writer.appendBytes(MAGIC);
  const bytes = writer.getBytes();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
