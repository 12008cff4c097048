-- One stored-file model: every file of every kind is a row of `files` (the dataset files'
-- table, renamed), and a model version or an explanation may hold several files (an MLflow
-- folder, sharded weights, SHAP values beside a summary). Exactly one owner artifact per file.
-- Models and explanations keep what describes the version; their file columns move here.
alter table dataset_files rename to files;
alter index dataset_files_ready_path rename to files_dataset_ready_path;
alter index dataset_files_pending_path rename to files_dataset_pending_path;
alter index dataset_files_state_created rename to files_state_created;
alter table files alter column dataset_id drop not null;
alter table files add column model_id uuid references models (id) on delete cascade;
alter table files add column explanation_id uuid references explanations (id) on delete cascade;
alter table files add constraint files_one_artifact check (num_nonnulls(dataset_id, model_id, explanation_id) = 1);
-- A version's paths are unique; its files are only ever added while it is pending.
create unique index files_model_path on files (model_id, path) where model_id is not null;
create unique index files_explanation_path on files (explanation_id, path) where explanation_id is not null;

-- Where a version's files go: the object key of each is this prefix and its path.
alter table models add column key_prefix text;
alter table explanations add column key_prefix text;

insert into files (id, model_id, owner_id, path, object_key, content_type, size, sha256, etag, state, batch_id,
                   created_at, updated_at)
select gen_random_uuid(), id, owner_id, filename, object_key, content_type, size, sha256, etag, state, id, created_at, updated_at
from models;
insert into files (id, explanation_id, owner_id, path, object_key, content_type, size, sha256, etag, state, batch_id,
                   created_at, updated_at)
select gen_random_uuid(), id, owner_id, filename, object_key, content_type, size, sha256, etag, state, id, created_at, updated_at
from explanations;
update models set key_prefix = left(object_key, length(object_key) - length(filename));
update explanations set key_prefix = left(object_key, length(object_key) - length(filename));
alter table models alter column key_prefix set not null;
alter table explanations alter column key_prefix set not null;

alter table models drop column filename, drop column object_key, drop column content_type, drop column size,
  drop column sha256, drop column etag;
alter table explanations drop column filename, drop column object_key, drop column content_type, drop column size,
  drop column sha256, drop column etag;

-- A direct upload fills one file row (row_id) of one artifact: the dataset, model or explanation.
alter table upload_sessions add column artifact_id uuid;
update upload_sessions set artifact_id = dataset_id where target_type = 'dataset-file';
update upload_sessions s set artifact_id = s.row_id, row_id = f.id
  from files f where s.target_type in ('model', 'explanation') and s.row_id in (f.model_id, f.explanation_id);
