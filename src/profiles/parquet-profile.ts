/**
 * A Parquet file's profile from its footer alone (read with Range requests after the upload and
 * parsed on the Parquet reading thread, parquet-jobs.ts): rows, row groups, the schema with
 * physical and logical types, and per column the null counts and min/max the writer stored,
 * merged across row groups.
 */
import type { ColumnMetaData, FileMetaData } from 'hyparquet';

type MinMaxType = NonNullable<NonNullable<ColumnMetaData['statistics']>['min_value']>;

import type { ColumnProfile, ColumnType, DatasetProfile } from './profile.ts';

export function profileOfMetadata(metadata: FileMetaData, maxColumns: number): DatasetProfile {
  const leaves = metadata.schema.filter((element) => !element.num_children && element !== metadata.schema[0]);
  const chunks = new Map<string, ColumnMetaData[]>();
  for (const group of metadata.row_groups) {
    for (const column of group.columns) {
      if (!column.meta_data) continue;
      const name = column.meta_data.path_in_schema.join('.');
      const list = chunks.get(name) ?? [];
      list.push(column.meta_data);
      chunks.set(name, list);
    }
  }
  const names = [...chunks.keys()];
  const columns = names.slice(0, maxColumns).map((name, index) => columnOf(name, chunks.get(name) ?? [], leaves[index]));
  return {
    format: 'parquet',
    status: 'complete',
    rows: Number(metadata.num_rows),
    profiledRows: Number(metadata.num_rows),
    columnCount: names.length,
    columns,
    untrackedColumns: Math.max(0, names.length - columns.length),
    topValues: 'approximate',
    problems: [],
    problemCount: 0,
    rowGroups: metadata.row_groups.length,
  };
}

function columnOf(name: string, chunks: ColumnMetaData[], element: FileMetaData['schema'][number] | undefined): ColumnProfile {
  const physicalType = chunks[0]?.type ?? element?.type ?? 'BYTE_ARRAY';
  const logical = element?.logical_type?.type ?? element?.converted_type ?? null;
  const type = typeOf(physicalType, logical);
  let nulls: number | null = 0;
  let min: number | string | null = null;
  let max: number | string | null = null;
  for (const chunk of chunks) {
    const statistics = chunk.statistics;
    if (statistics?.null_count === undefined || nulls === null) nulls = null;
    else nulls += Number(statistics.null_count);
    const low = scalar(statistics?.min_value ?? statistics?.min);
    const high = scalar(statistics?.max_value ?? statistics?.max);
    if (low !== null && (min === null || low < min)) min = low;
    if (high !== null && (max === null || high > max)) max = high;
  }
  const ranged = type === 'integer' || type === 'number' || type === 'datetime';
  return {
    name,
    type,
    nulls,
    min: ranged ? min : null,
    max: ranged ? max : null,
    mean: null,
    meanAbs: null,
    top: null,
    physicalType,
    logicalType: logical,
  };
}

function typeOf(physical: string, logical: string | null): ColumnType {
  if (logical === 'DATE' || logical === 'TIMESTAMP' || logical === 'TIMESTAMP_MILLIS' || logical === 'TIMESTAMP_MICROS') {
    return 'datetime';
  }
  if (logical === 'STRING' || logical === 'UTF8' || logical === 'ENUM' || logical === 'JSON') return 'string';
  if (logical === 'DECIMAL') return 'number';
  switch (physical) {
    case 'BOOLEAN':
      return 'boolean';
    case 'INT32':
    case 'INT64':
      return 'integer';
    case 'FLOAT':
    case 'DOUBLE':
      return 'number';
    default:
      return 'string';
  }
}

/** A statistic as JSON can carry it: numbers (bigints when exact), dates as ISO text. */
function scalar(value: MinMaxType | undefined): number | string | null {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return value;
  return null;
}
