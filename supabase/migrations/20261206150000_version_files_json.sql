-- A ready version's files never change (versions are immutable), so the files part of its
-- record is built once when it becomes ready (xai_finalize_version) and kept here: a list of
-- versions reads it instead of aggregating `files` per row. Null while pending (and on rows made
-- ready before this column), where the record aggregates the files as it reads.
alter table models add column if not exists files_json jsonb;
alter table explanations add column if not exists files_json jsonb;
