-- Baseline: the tables of the artifact API as of 0.1.0 (the migrations before it squashed into one).
-- Tables change only by migrations added after this one. Every multi-step operation lives in
-- the SQL functions of supabase/sql/ (each in one place, in its current form), applied after
-- the migrations, so that the Postgres, PGlite and Supabase adapters are thin callers.
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
  -- The full profile record ({profile, reason}) and the short form GET /datasets/{d} shows,
  -- set while the file is pending (streamed CSV/TSV/JSON lines, or a Parquet footer).
  profile         jsonb,
  profile_summary jsonb,
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
  -- Client JSON is `json`, not jsonb: it comes back with its keys in the order sent.
  metrics      json not null default '{}',
  params       json not null default '{}',
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
create index if not exists models_dataset_name_version on models (dataset_id, name, version desc);

create table if not exists explanations (
  id           uuid primary key,
  owner_id     text not null,
  model_id     uuid not null references models (id) on delete restrict,
  dataset_id   uuid not null references datasets (id) on delete restrict,
  method       text not null check (method ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  params       json not null default '{}',
  summary      json not null default '{}',
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

-- Direct uploads: the client sends the bytes straight to the object store in presigned parts.
-- A session holds what the server decided before any byte moved (the reserved row, the object
-- key, the part plan) and ends in the same finalize functions as a proxied upload.
--
-- state: uploading -> verifying -> ready, or failed (verification refused it) or aborted
-- (the client gave up, or the session expired). Verification is a durable job: whoever holds
-- an unexpired lease (claimed_until) runs it; a lease that lapses (a crash) is claimed again.

create table if not exists upload_sessions (
  id                uuid primary key,
  owner_id          text not null,
  target_type       text not null check (target_type in ('dataset-file', 'model', 'explanation')),
  target            jsonb not null,
  -- The pending row the upload fills: dataset_files.id, models.id or explanations.id.
  row_id            uuid not null,
  dataset_id        uuid,
  object_key        text not null,
  storage_upload_id text not null,
  size              bigint not null check (size > 0),
  sha256            text check (sha256 ~ '^[0-9a-f]{64}$'),
  content_type      text not null,
  part_size         bigint not null check (part_size > 0),
  part_count        integer not null check (part_count between 1 and 10000),
  -- The assembled object's ETag, known once the parts are completed.
  etag              text,
  state             text not null default 'uploading'
                    check (state in ('uploading', 'verifying', 'ready', 'failed', 'aborted')),
  result            jsonb,
  problem           jsonb,
  attempts          integer not null default 0,
  claimed_until     timestamptz,
  -- A completion's lease: one completion at a time, and no abort while it assembles the parts.
  completing_until  timestamptz,
  expires_at        timestamptz not null,
  created_at        timestamptz not null default clock_timestamp(),
  updated_at        timestamptz not null default clock_timestamp()
);
create index if not exists upload_sessions_state on upload_sessions (state, expires_at);
create index if not exists upload_sessions_row on upload_sessions (row_id);
create index if not exists upload_sessions_owner_open on upload_sessions (owner_id) where state = 'uploading';
alter table upload_sessions enable row level security;

-- Rate limits shared by every replica on one database. Each process counts its callers'
-- requests itself and adds them here every few hundred milliseconds (src/rate-limits/), in
-- fixed windows aligned to the epoch (window_start, in milliseconds), so N replicas enforce one
-- limit per caller, not N. Unlogged: counts are worth nothing after a crash, and skipping the
-- write-ahead log keeps the upserts cheap.

create unlogged table if not exists rate_limit_counts (
  key          text not null,
  window_start bigint not null,
  count        integer not null,
  primary key (key, window_start)
);
alter table rate_limit_counts enable row level security;
