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
  expires_at        timestamptz not null,
  created_at        timestamptz not null default clock_timestamp(),
  updated_at        timestamptz not null default clock_timestamp()
);
create index if not exists upload_sessions_state on upload_sessions (state, expires_at);
create index if not exists upload_sessions_row on upload_sessions (row_id);
alter table upload_sessions enable row level security;

create or replace function xai_upload_session_json(s upload_sessions) returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'id', s.id, 'ownerId', s.owner_id, 'state', s.state, 'targetType', s.target_type, 'target', s.target,
    'rowId', s.row_id, 'datasetId', s.dataset_id, 'objectKey', s.object_key, 'storageUploadId', s.storage_upload_id,
    'size', s.size, 'sha256', s.sha256, 'contentType', s.content_type, 'partSize', s.part_size,
    'partCount', s.part_count, 'etag', s.etag, 'result', s.result, 'problem', s.problem, 'attempts', s.attempts,
    'expiresAt', xai_ts(s.expires_at), 'createdAt', xai_ts(s.created_at), 'updatedAt', xai_ts(s.updated_at))
$$;

create or replace function xai_open_upload_session(p_session jsonb, p_ttl_seconds integer) returns jsonb
language plpgsql as $$
declare s upload_sessions;
begin
  insert into upload_sessions (id, owner_id, target_type, target, row_id, dataset_id, object_key, storage_upload_id,
                               size, sha256, content_type, part_size, part_count, expires_at)
  values ((p_session ->> 'id')::uuid, p_session ->> 'ownerId', p_session ->> 'targetType', p_session -> 'target',
          (p_session ->> 'rowId')::uuid, (p_session ->> 'datasetId')::uuid, p_session ->> 'objectKey',
          p_session ->> 'storageUploadId', (p_session ->> 'size')::bigint, p_session ->> 'sha256',
          p_session ->> 'contentType', (p_session ->> 'partSize')::bigint, (p_session ->> 'partCount')::integer,
          clock_timestamp() + make_interval(secs => p_ttl_seconds))
  returning * into s;
  return xai_upload_session_json(s);
end $$;

create or replace function xai_find_upload_session(p_owner text, p_id uuid, p_lock boolean default false)
returns upload_sessions language plpgsql as $$
declare s upload_sessions;
begin
  if p_lock then select * into s from upload_sessions where id = p_id and xai_can_see(owner_id, p_owner) for update;
  else select * into s from upload_sessions where id = p_id and xai_can_see(owner_id, p_owner); end if;
  if s.id is null then perform xai_raise('upload_not_found', format('No upload %s.', p_id)); end if;
  return s;
end $$;

create or replace function xai_get_upload_session(p_owner text, p_id uuid) returns jsonb
language plpgsql stable as $$
begin
  return xai_upload_session_json(xai_find_upload_session(p_owner, p_id));
end $$;

-- The parts are all there and the object is assembled: hand the session to a verifier.
-- Completing again is harmless (the session is returned as it is).
create or replace function xai_begin_upload_verification(p_owner text, p_id uuid, p_etag text) returns jsonb
language plpgsql as $$
declare s upload_sessions;
begin
  s := xai_find_upload_session(p_owner, p_id, true);
  if s.state in ('failed', 'aborted') then
    perform xai_raise('upload_not_open', format('Upload %s is %s.', p_id, s.state));
  end if;
  if s.state = 'uploading' then
    update upload_sessions set state = 'verifying', etag = p_etag, claimed_until = null, updated_at = clock_timestamp()
      where id = s.id returning * into s;
  end if;
  return xai_upload_session_json(s);
end $$;

-- Claims one verification whose lease is free or lapsed (p_id: that one only). Several
-- replicas may call this at once: skip locked lets exactly one of them take each job.
create or replace function xai_claim_upload_verification(p_id uuid, p_lease_seconds integer) returns jsonb
language plpgsql as $$
declare s upload_sessions;
begin
  select * into s from upload_sessions
    where state = 'verifying' and (claimed_until is null or claimed_until < clock_timestamp())
      and (p_id is null or id = p_id)
    order by updated_at limit 1 for update skip locked;
  if s.id is null then return null; end if;
  update upload_sessions set claimed_until = clock_timestamp() + make_interval(secs => p_lease_seconds),
    attempts = attempts + 1 where id = s.id returning * into s;
  return xai_upload_session_json(s);
end $$;

create or replace function xai_renew_upload_lease(p_id uuid, p_lease_seconds integer) returns void
language sql as $$
  update upload_sessions set claimed_until = clock_timestamp() + make_interval(secs => p_lease_seconds)
  where id = p_id and state = 'verifying'
$$;

-- Verified: the same finalize as the proxied upload, and the session records its answer, in
-- one transaction. Returns the session and the object keys an overwrite replaced.
create or replace function xai_finish_upload_session(p_id uuid, p_size bigint, p_sha256 text, p_etag text)
returns jsonb language plpgsql as $$
declare s upload_sessions; finalized jsonb; answer jsonb; replaced jsonb := '[]'::jsonb;
begin
  select * into s from upload_sessions where id = p_id for update;
  if s.id is null or s.state <> 'verifying' then
    perform xai_raise('upload_not_open', format('Upload %s is not being verified.', p_id));
  end if;
  case s.target_type
    when 'dataset-file' then
      finalized := xai_finalize_dataset_batch(s.owner_id, s.dataset_id, s.id,
        jsonb_build_array(jsonb_build_object('id', s.row_id, 'size', p_size, 'sha256', p_sha256, 'etag', p_etag)));
      answer := finalized -> 'dataset';
      replaced := finalized -> 'replacedKeys';
    when 'model' then answer := xai_finalize_model(s.owner_id, s.row_id, p_size, p_sha256, p_etag);
    else answer := xai_finalize_explanation(s.owner_id, s.row_id, p_size, p_sha256, p_etag);
  end case;
  update upload_sessions set state = 'ready', result = answer, claimed_until = null, updated_at = clock_timestamp()
    where id = s.id returning * into s;
  return jsonb_build_object('session', xai_upload_session_json(s), 'replacedKeys', replaced);
end $$;

-- Ends a session that will never be ready (p_state 'failed' or 'aborted'): its reserved row
-- goes, in the same transaction. Returns the session and the object key to delete. Ending an
-- ended session again changes nothing.
create or replace function xai_end_upload_session(p_id uuid, p_state text, p_problem jsonb) returns jsonb
language plpgsql as $$
declare s upload_sessions;
begin
  if p_state not in ('failed', 'aborted') then perform xai_raise('validation_failed', 'Unknown end state.'); end if;
  select * into s from upload_sessions where id = p_id for update;
  if s.id is null then perform xai_raise('upload_not_found', format('No upload %s.', p_id)); end if;
  if s.state in ('uploading', 'verifying') then
    case s.target_type
      when 'dataset-file' then perform xai_abandon_dataset_batch(s.owner_id, s.dataset_id, s.id);
      when 'model' then perform xai_abandon_model(s.owner_id, s.row_id);
      else perform xai_abandon_explanation(s.owner_id, s.row_id);
    end case;
    update upload_sessions set state = p_state, problem = p_problem, claimed_until = null, updated_at = clock_timestamp()
      where id = s.id returning * into s;
  end if;
  return xai_upload_session_json(s);
end $$;

-- DELETE /uploads/{id}: only an upload still taking parts can be aborted.
create or replace function xai_abort_upload_session(p_owner text, p_id uuid) returns jsonb
language plpgsql as $$
declare s upload_sessions;
begin
  s := xai_find_upload_session(p_owner, p_id, true);
  if s.state = 'verifying' then
    perform xai_raise('upload_verifying', format('Upload %s is being verified; wait for its result.', p_id));
  end if;
  if s.state = 'ready' then
    perform xai_raise('upload_not_open', format('Upload %s is finished; delete what it created instead.', p_id));
  end if;
  return xai_end_upload_session(p_id, 'aborted', null);
end $$;

-- Sessions still taking parts whose time ran out (for the reconciler).
create or replace function xai_expired_upload_sessions(p_now timestamptz, p_limit integer) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(xai_upload_session_json(s) order by s.expires_at), '[]'::jsonb)
  from (select * from upload_sessions where state = 'uploading' and expires_at < p_now
        order by expires_at limit p_limit) s
$$;

-- Of the given storage upload ids, those a live session still owns (the reconciler leaves them).
create or replace function xai_live_upload_ids(p_ids jsonb) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(s.storage_upload_id), '[]'::jsonb) from upload_sessions s
  where s.state in ('uploading', 'verifying')
    and s.storage_upload_id in (select jsonb_array_elements_text(p_ids))
$$;

-- As before, but a pending row that a live direct-upload session fills is not stale: it waits
-- for the client's parts (until the session expires) or for its verification.
create or replace function xai_stale_pending(p_before timestamptz, p_limit integer) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(jsonb_build_object('kind', kind, 'id', id, 'objectKey', object_key, 'createdAt', xai_ts(created_at))
                            order by created_at), '[]'::jsonb)
  from (
    select * from (
      select 'dataset_file' as kind, id, object_key, created_at from dataset_files where state = 'pending' and created_at < p_before
      union all
      select 'model', id, object_key, created_at from models where state = 'pending' and created_at < p_before
      union all
      select 'explanation', id, object_key, created_at from explanations where state = 'pending' and created_at < p_before
      union all
      select 'dataset', id, null, created_at from datasets where state = 'pending' and created_at < p_before
    ) pending
    where not exists (select 1 from upload_sessions s where s.row_id = pending.id and s.state in ('uploading', 'verifying'))
    order by created_at
    limit p_limit
  ) stale
$$;

do $$
begin
  if exists (select 1 from pg_roles where rolname = 'anon') then
    execute 'revoke execute on all functions in schema public from anon, authenticated, public';
  end if;
end $$;
