-- Tables of the artifact API. Every multi-step operation lives in SQL functions
-- (later migrations) so that the Postgres, PGlite and Supabase adapters are thin callers.
--
-- state   = upload state of a row: 'pending' while its bytes stream, 'ready' once finalized.
-- owner_id = the principal that created the row (Supabase user id or API key name).

create table if not exists datasets (
  id          uuid primary key,
  owner_id    text not null,
  name        text not null check (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  description text,
  tags        text[] not null default '{}',
  status      text not null default 'raw',
  state       text not null default 'pending' check (state in ('pending', 'ready')),
  batch_id    uuid,
  created_at  timestamptz not null default clock_timestamp(),
  updated_at  timestamptz not null default clock_timestamp(),
  unique (owner_id, name)
);
create index if not exists datasets_owner_created on datasets (owner_id, created_at desc, id desc);
create index if not exists datasets_tags on datasets using gin (tags);

create table if not exists dataset_files (
  id           uuid primary key,
  dataset_id   uuid not null references datasets (id) on delete cascade,
  owner_id     text not null,
  path         text not null check (length(path) between 1 and 512),
  object_key   text not null unique,
  content_type text not null,
  size         bigint check (size >= 0),
  sha256       text check (sha256 ~ '^[0-9a-f]{64}$'),
  etag         text,
  state        text not null default 'pending' check (state in ('pending', 'ready')),
  batch_id     uuid not null,
  replaces     uuid,
  created_at   timestamptz not null default clock_timestamp(),
  updated_at   timestamptz not null default clock_timestamp(),
  check (state = 'pending' or (size is not null and sha256 is not null))
);
-- One ready file per path, and one upload in flight per path: the second decides
-- a race between two uploads of the same path before any byte is written.
create unique index if not exists dataset_files_ready_path on dataset_files (dataset_id, path) where state = 'ready';
create unique index if not exists dataset_files_pending_path on dataset_files (dataset_id, path) where state = 'pending';
create index if not exists dataset_files_state_created on dataset_files (state, created_at);

create table if not exists models (
  id           uuid primary key,
  owner_id     text not null,
  dataset_id   uuid not null references datasets (id) on delete restrict,
  name         text not null check (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  version      integer not null check (version >= 1),
  framework    text not null default 'other',
  format       text not null,
  safe_to_load boolean not null,
  metrics      jsonb not null default '{}',
  params       jsonb not null default '{}',
  description  text,
  tags         text[] not null default '{}',
  filename     text not null,
  object_key   text not null unique,
  content_type text not null,
  size         bigint check (size >= 0),
  sha256       text check (sha256 ~ '^[0-9a-f]{64}$'),
  etag         text,
  state        text not null default 'pending' check (state in ('pending', 'ready')),
  created_at   timestamptz not null default clock_timestamp(),
  updated_at   timestamptz not null default clock_timestamp(),
  unique (dataset_id, name, version),
  check (state = 'pending' or (size is not null and sha256 is not null))
);
create index if not exists models_owner_created on models (owner_id, created_at desc, id desc);
create index if not exists models_state_created on models (state, created_at);
create index if not exists models_tags on models using gin (tags);

create table if not exists explanations (
  id           uuid primary key,
  owner_id     text not null,
  model_id     uuid not null references models (id) on delete restrict,
  dataset_id   uuid not null references datasets (id) on delete restrict,
  method       text not null check (method ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  params       jsonb not null default '{}',
  summary      jsonb not null default '{}',
  description  text,
  tags         text[] not null default '{}',
  filename     text not null,
  object_key   text not null unique,
  content_type text not null,
  size         bigint check (size >= 0),
  sha256       text check (sha256 ~ '^[0-9a-f]{64}$'),
  etag         text,
  state        text not null default 'pending' check (state in ('pending', 'ready')),
  created_at   timestamptz not null default clock_timestamp(),
  updated_at   timestamptz not null default clock_timestamp(),
  check (state = 'pending' or (size is not null and sha256 is not null))
);
create index if not exists explanations_owner_created on explanations (owner_id, created_at desc, id desc);
create index if not exists explanations_model on explanations (model_id);
create index if not exists explanations_state_created on explanations (state, created_at);

-- Row level security on, with no policies: through Supabase's anon or authenticated
-- keys these tables expose nothing. The service role (and a table owner) bypasses RLS.
alter table datasets enable row level security;
alter table dataset_files enable row level security;
alter table models enable row level security;
alter table explanations enable row level security;
