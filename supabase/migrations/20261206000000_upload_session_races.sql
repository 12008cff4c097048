-- Direct uploads under concurrency.
--
-- `complete` assembles the parts in storage before the session changes state, so two completes
-- (a client retrying after a timeout) or a complete and a DELETE could act on one session at
-- once: two assemblies into one object, or an object assembled for a session that a DELETE had
-- just ended (an orphan at its final key). A completion now holds a lease on the session while
-- it assembles: one completion at a time, and no abort while one runs. A lease that lapses (the
-- completing process died) frees the session again.
--
-- Open sessions are also capped per owner (p_max_open): one owner cannot hold every upload
-- slot of the server with sessions it never completes.

alter table upload_sessions add column if not exists completing_until timestamptz;
create index if not exists upload_sessions_owner_open on upload_sessions (owner_id) where state = 'uploading';

create or replace function xai_open_upload_session(p_session jsonb, p_ttl_seconds integer, p_max_open integer default null)
returns jsonb
language plpgsql as $$
declare s upload_sessions; open_count integer;
begin
  if p_max_open is not null then
    -- Serializes the opens of one owner, so that two at once cannot both pass the count.
    perform pg_advisory_xact_lock(hashtext('xai_upload_sessions'), hashtext(p_session ->> 'ownerId'));
    select count(*) into open_count from upload_sessions
      where owner_id = p_session ->> 'ownerId' and state = 'uploading' and expires_at > clock_timestamp();
    if open_count >= p_max_open then
      perform xai_raise('too_many_uploads',
        format('At most %s direct uploads may be open at once per caller; complete or abort one first.', p_max_open));
    end if;
  end if;
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
-- The two-argument form is replaced by the one above (its third argument is optional).
drop function if exists xai_open_upload_session(jsonb, integer);

-- POST /uploads/{id}/complete, first step: {claimed: true} when this caller may assemble the
-- parts now (it holds the lease until p_lease_seconds pass, or it renews, releases or begins
-- verification); {claimed: false} when another completion holds it or the session is already
-- past assembly. Ended sessions are refused as before.
create or replace function xai_claim_upload_completion(p_owner text, p_id uuid, p_lease_seconds integer) returns jsonb
language plpgsql as $$
declare s upload_sessions;
begin
  s := xai_find_upload_session(p_owner, p_id, true);
  if s.state in ('failed', 'aborted') then
    perform xai_raise('upload_not_open', format('Upload %s is %s; it takes no more parts.', p_id, s.state));
  end if;
  if s.state <> 'uploading' or (s.completing_until is not null and s.completing_until > clock_timestamp()) then
    return jsonb_build_object('claimed', false, 'session', xai_upload_session_json(s));
  end if;
  update upload_sessions set completing_until = clock_timestamp() + make_interval(secs => p_lease_seconds)
    where id = s.id returning * into s;
  return jsonb_build_object('claimed', true, 'session', xai_upload_session_json(s));
end $$;

create or replace function xai_renew_upload_completion(p_id uuid, p_lease_seconds integer) returns void
language sql as $$
  update upload_sessions set completing_until = clock_timestamp() + make_interval(secs => p_lease_seconds)
  where id = p_id and state = 'uploading' and completing_until is not null
$$;

-- The completion stopped before verification (parts missing, storage down): the session takes
-- parts and completions again.
create or replace function xai_release_upload_completion(p_id uuid) returns void
language sql as $$
  update upload_sessions set completing_until = null where id = p_id and state = 'uploading'
$$;

create or replace function xai_begin_upload_verification(p_owner text, p_id uuid, p_etag text) returns jsonb
language plpgsql as $$
declare s upload_sessions;
begin
  s := xai_find_upload_session(p_owner, p_id, true);
  if s.state in ('failed', 'aborted') then
    perform xai_raise('upload_not_open', format('Upload %s is %s.', p_id, s.state));
  end if;
  if s.state = 'uploading' then
    update upload_sessions set state = 'verifying', etag = p_etag, claimed_until = null, completing_until = null,
      updated_at = clock_timestamp()
      where id = s.id returning * into s;
  end if;
  return xai_upload_session_json(s);
end $$;

-- DELETE /uploads/{id}: only an upload still taking parts, and not being completed, can be aborted.
create or replace function xai_abort_upload_session(p_owner text, p_id uuid) returns jsonb
language plpgsql as $$
declare s upload_sessions;
begin
  s := xai_find_upload_session(p_owner, p_id, true);
  if s.state = 'verifying' or (s.state = 'uploading' and s.completing_until > clock_timestamp()) then
    perform xai_raise('upload_verifying', format('Upload %s is being completed and verified; wait for its result.', p_id));
  end if;
  if s.state = 'ready' then
    perform xai_raise('upload_not_open', format('Upload %s is finished; delete what it created instead.', p_id));
  end if;
  return xai_end_upload_session(p_id, 'aborted', null);
end $$;

-- Sessions still taking parts whose time ran out (for the reconciler); one being completed
-- right now is left to its completion.
create or replace function xai_expired_upload_sessions(p_now timestamptz, p_limit integer) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(xai_upload_session_json(s) order by s.expires_at), '[]'::jsonb)
  from (select * from upload_sessions
        where state = 'uploading' and expires_at < p_now and (completing_until is null or completing_until < p_now)
        order by expires_at limit p_limit) s
$$;

do $$
begin
  if exists (select 1 from pg_roles where rolname = 'anon') then
    execute 'revoke execute on all functions in schema public from anon, authenticated, public';
  end if;
end $$;
