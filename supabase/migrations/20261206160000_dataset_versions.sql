-- Exact lineage. Every change to a dataset's file set makes an immutable version 1, 2, …; a
-- file belongs to the versions [since_version, until_version) (null: still current), so an
-- overwrite or a delete ends a file's run instead of removing it, and older versions keep
-- their bytes. Models and explanations pin the dataset version they came from. Aliases name
-- a dataset version or a model version, and every move of one is kept.

-- The latest version (null until the first file).
alter table datasets add column version integer;

create table if not exists dataset_versions (
  dataset_id  uuid not null references datasets (id) on delete cascade,
  version     integer not null check (version > 0),
  -- SHA-256 (hex) of the canonical manifest: [{"path","sha256","size"}, …] by path, no whitespace.
  digest      text not null,
  file_count  integer not null,
  size        bigint not null,
  created_by  text not null,
  created_at  timestamptz not null default clock_timestamp(),
  primary key (dataset_id, version)
);

alter table files add column since_version integer, add column until_version integer;
alter table files add constraint files_version_run check (until_version is null or until_version > since_version);
-- One current file per path; files of older versions may share it.
drop index if exists files_dataset_ready_path;
create unique index if not exists files_dataset_current_path on files (dataset_id, path)
  where state = 'ready' and until_version is null;
create index if not exists files_dataset_since on files (dataset_id, since_version) where dataset_id is not null;

alter table models add column dataset_version integer;
alter table explanations add column dataset_version integer;
create index if not exists models_dataset_version on models (dataset_id, dataset_version);
create index if not exists explanations_dataset_version on explanations (dataset_id, dataset_version);

-- Aliases: of a dataset version (model_name '') or of a model version of (dataset, model_name).
create table if not exists aliases (
  dataset_id  uuid not null references datasets (id) on delete cascade,
  model_name  text not null default '',
  alias       text not null check (alias ~ '^[a-z][a-z0-9_-]{0,63}$' and alias <> 'latest'),
  version     integer not null,
  updated_by  text not null,
  updated_at  timestamptz not null,
  primary key (dataset_id, model_name, alias)
);
create index if not exists aliases_version on aliases (dataset_id, model_name, version);

-- Every set, move and removal (version null), in the order they took effect.
create table if not exists alias_events (
  id                bigint generated always as identity primary key,
  dataset_id        uuid not null references datasets (id) on delete cascade,
  model_name        text not null,
  alias             text not null,
  version           integer,
  previous_version  integer,
  by                text not null,
  at                timestamptz not null
);
create index if not exists alias_events_alias on alias_events (dataset_id, model_name, alias, id desc);

alter table dataset_versions enable row level security;
alter table aliases enable row level security;
alter table alias_events enable row level security;

-- What exists today becomes version 1 of each dataset that has files, pinned by its models
-- and explanations (the manifest as supabase/sql/12_dataset_versions.sql builds it).
update files set since_version = 1 where dataset_id is not null and state = 'ready';
insert into dataset_versions (dataset_id, version, digest, file_count, size, created_by, created_at)
select f.dataset_id, 1,
       encode(sha256(convert_to('[' || string_agg(
         '{"path":' || to_json(f.path)::text || ',"sha256":"' || f.sha256 || '","size":' || f.size || '}',
         ',' order by f.path collate "C") || ']', 'UTF8')), 'hex'),
       count(*), sum(f.size), min(d.owner_id), max(f.updated_at)
from files f join datasets d on d.id = f.dataset_id
where f.state = 'ready'
group by f.dataset_id;
update datasets d set version = 1 where exists (select 1 from dataset_versions v where v.dataset_id = d.id);
update models m set dataset_version = d.version from datasets d where d.id = m.dataset_id;
update explanations e set dataset_version = d.version from datasets d where d.id = e.dataset_id;
