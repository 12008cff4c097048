-- One row's explanation beside its data: a text file's sparse row index (byte offsets of record
-- starts, written in the upload pass: src/profiles/row-index.ts), so that any row is one small
-- Range read; and the dataset file an explanation's rows are rows of, when the uploader names it.
alter table files add column if not exists row_index jsonb;
alter table explanations add column if not exists dataset_file text;
