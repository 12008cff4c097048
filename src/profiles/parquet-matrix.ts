/**
 * A Parquet SHAP matrix's per-column statistics (mean |value|, mean, min, max) from its values:
 * the footer profile (parquet-profile.ts) with the numbers of every row. Read on the Parquet
 * reading thread one column chunk of one row group at a time, so memory holds one decoded
 * chunk whatever the file's size. Runs only for explanation files (a matrix's importances).
 */
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { chunkRange, invalidFile } from './parquet-bounds.ts';
import { profileOfMetadata } from './parquet-profile.ts';
import type { ColumnProfile, DatasetProfile } from './profile.ts';

interface Sums {
  count: number;
  sum: number;
  absSum: number;
  min: number;
  max: number;
  nulls: number;
  numeric: boolean;
}

export async function matrixOf(file: AsyncBuffer, metadata: FileMetaData, maxColumns: number): Promise<DatasetProfile> {
  const profile = profileOfMetadata(metadata, maxColumns);
  if (metadata.schema.some((element, index) => index > 0 && (element.num_children ?? 0) > 0)) {
    throw invalidFile('it has nested columns: a SHAP matrix is a flat table of numbers');
  }
  for (const group of metadata.row_groups) for (const chunk of group.columns) chunkRange(chunk, file.byteLength);
  const { parquetRead } = await import('hyparquet');
  const sums = new Map<string, Sums>();
  for (const column of profile.columns) {
    if (column.type !== 'integer' && column.type !== 'number') continue;
    const stats: Sums = { count: 0, sum: 0, absSum: 0, min: Infinity, max: -Infinity, nulls: 0, numeric: true };
    let groupStart = 0;
    for (const group of metadata.row_groups) {
      const groupEnd = groupStart + Number(group.num_rows);
      await parquetRead({
        file,
        metadata,
        columns: [column.name],
        rowStart: groupStart,
        rowEnd: groupEnd,
        onChunk: ({ columnData, rowStart, rowEnd }) => {
          // A chunk may reach outside the range asked for: count each row once.
          const from = Math.max(groupStart, rowStart) - rowStart;
          const to = Math.min(groupEnd, rowEnd) - rowStart;
          for (let i = from; i < to; i += 1) add(stats, columnData[i]);
        },
      });
      groupStart = groupEnd;
    }
    // Counts a footer declares are not trusted: the values read must be the rows it claims.
    if (stats.count + stats.nulls !== profile.rows) {
      throw invalidFile(
        `its footer declares ${profile.rows} rows; column ${column.name} holds ${stats.count + stats.nulls} values`,
      );
    }
    sums.set(column.name, stats);
  }
  return {
    ...profile,
    columns: profile.columns.map((column): ColumnProfile => {
      const stats = sums.get(column.name);
      if (!stats || stats.count === 0) return column;
      return {
        ...column,
        nulls: stats.nulls,
        min: stats.min,
        max: stats.max,
        mean: stats.sum / stats.count,
        meanAbs: stats.absSum / stats.count,
      };
    }),
  };
}

function add(stats: Sums, value: unknown): void {
  if (value === null || value === undefined) {
    stats.nulls += 1;
    return;
  }
  const number = typeof value === 'bigint' ? Number(value) : (value as number);
  if (typeof number !== 'number' || Number.isNaN(number)) {
    stats.nulls += 1;
    return;
  }
  stats.count += 1;
  stats.sum += number;
  stats.absSum += Math.abs(number);
  if (number < stats.min) stats.min = number;
  if (number > stats.max) stats.max = number;
}
