-- Direct uploads: sessions, the completion lease, durable verification jobs under leases.

create or replace function xai_upload_session_json(s upload_sessions) returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'id', s.id, 'ownerId', s.owner_id, 'state', s.state, 'targetType', s.target_type, 'target', s.target,
    'rowId', s.row_id, 'artifactId', s.artifact_id, 'datasetId', s.dataset_id, 'objectKey', s.object_key, 'storageUploadId', s.storage_upload_id,
    'size', s.size, 'sha256', s.sha256, 'contentType', s.content_type, 'partSize', s.part_size,
    'partCount', s.part_count, 'etag', s.etag, 'result', s.result, 'problem', s.problem, 'attempts', s.attempts,
    'expiresAt', xai_ts(s.expires_at), 'createdAt', xai_ts(s.created_at), 'updatedAt', xai_ts(s.updated_at))
$$;

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
  insert into upload_sessions (id, owner_id, target_type, target, row_id, artifact_id, dataset_id, object_key, storage_upload_id,
                               size, sha256, content_type, part_size, part_count, expires_at)
  values ((p_session ->> 'id')::uuid, p_session ->> 'ownerId', p_session ->> 'targetType', p_session -> 'target',
          (p_session ->> 'rowId')::uuid, (p_session ->> 'artifactId')::uuid, (p_session ->> 'datasetId')::uuid, p_session ->> 'objectKey',
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

-- The same, locked, refusing a session that ended without a result (failed, aborted).
create or replace function xai_find_unended_upload_session(p_owner text, p_id uuid)
returns upload_sessions language plpgsql as $$
declare s upload_sessions := xai_find_upload_session(p_owner, p_id, true);
begin
  if s.state in ('failed', 'aborted') then
    perform xai_raise('upload_not_open', format('Upload %s is %s; it takes no more parts.', p_id, s.state));
  end if;
  return s;
end $$;

create or replace function xai_get_upload_session(p_owner text, p_id uuid) returns jsonb
language plpgsql stable as $$
begin
  return xai_upload_session_json(xai_find_upload_session(p_owner, p_id));
end $$;

-- POST /uploads/{id}/complete, first step: {claimed: true} when this caller may assemble the
-- parts now (it holds the lease until p_lease_seconds pass, or it renews, releases or begins
-- verification); {claimed: false} when another completion holds it or the session is already
-- past assembly. Ended sessions are refused as before.
create or replace function xai_claim_upload_completion(p_owner text, p_id uuid, p_lease_seconds integer) returns jsonb
language plpgsql as $$
declare s upload_sessions;
begin
  s := xai_find_unended_upload_session(p_owner, p_id);
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
  s := xai_find_unended_upload_session(p_owner, p_id);
  if s.state = 'uploading' then
    update upload_sessions set state = 'verifying', etag = p_etag, claimed_until = null, completing_until = null,
      updated_at = clock_timestamp()
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
-- one transaction. Returns the session.
create or replace function xai_finish_upload_session(p_id uuid, p_size bigint, p_sha256 text, p_etag text)
returns jsonb language plpgsql as $$
declare
  s upload_sessions; answer jsonb;
  stored jsonb := jsonb_build_object('size', p_size, 'sha256', p_sha256, 'etag', p_etag);
  model_id uuid; explanation_id uuid;
begin
  select * into s from upload_sessions where id = p_id for update;
  if s.id is null or s.state <> 'verifying' then
    perform xai_raise('upload_not_open', format('Upload %s is not being verified.', p_id));
  end if;
  model_id := case when s.target_type = 'model' then s.artifact_id end;
  explanation_id := case when s.target_type = 'explanation' then s.artifact_id end;
  stored := stored || jsonb_build_object('id', s.row_id);
  case s.target_type
    when 'dataset-file' then
      answer := xai_finalize_dataset_batch(s.owner_id, s.owner_id, s.dataset_id, s.id, jsonb_build_array(stored));
    -- A version's file: ready now; the version too once its last file is (sessions of one
    -- version each answer the version, pending until then).
    else
      if xai_store_version_file(model_id, explanation_id, stored) then
        answer := xai_finalize_version(s.owner_id, model_id, explanation_id, '[]');
      else
        answer := xai_version_json(model_id, explanation_id);
      end if;
  end case;
  update upload_sessions set state = 'ready', result = answer, claimed_until = null, updated_at = clock_timestamp()
    where id = s.id returning * into s;
  return xai_upload_session_json(s);
end $$;

-- Ends a session that will never be ready (p_state 'failed' or 'aborted'): its reserved row
-- goes, in the same transaction (for a version's file: the whole version). Returns the session
-- and, as deletedKeys, the keys of the files that went with it. Ending an ended session again
-- changes nothing.
create or replace function xai_end_upload_session(p_id uuid, p_state text, p_problem jsonb) returns jsonb
language plpgsql as $$
declare s upload_sessions; abandoned jsonb := jsonb_build_object('deletedKeys', '[]'::jsonb);
begin
  if p_state not in ('failed', 'aborted') then perform xai_raise('validation_failed', 'Unknown end state.'); end if;
  select * into s from upload_sessions where id = p_id for update;
  if s.id is null then perform xai_raise('upload_not_found', format('No upload %s.', p_id)); end if;
  if s.state in ('uploading', 'verifying') then
    case s.target_type
      when 'dataset-file' then abandoned := xai_abandon_dataset_batch(s.owner_id, s.dataset_id, s.id);
      when 'model' then abandoned := xai_abandon_version(s.owner_id, s.artifact_id, null);
      else abandoned := xai_abandon_version(s.owner_id, null, s.artifact_id);
    end case;
    -- A version appears whole or not at all: the other live sessions of its files end with it
    -- (their parts are the reconciler's, as any ended session's).
    if s.target_type <> 'dataset-file' then
      update upload_sessions set state = 'aborted', claimed_until = null, updated_at = clock_timestamp(),
        problem = jsonb_build_object('code', 'upload_cancelled',
                                     'detail', 'Another file of this version failed or was aborted.')
      where artifact_id = s.artifact_id and id <> s.id and state in ('uploading', 'verifying');
    end if;
    update upload_sessions set state = p_state, problem = p_problem, claimed_until = null, updated_at = clock_timestamp()
      where id = s.id returning * into s;
  end if;
  return xai_upload_session_json(s) || jsonb_build_object('deletedKeys', abandoned -> 'deletedKeys');
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

-- Of the given storage upload ids, those a live session still owns (the reconciler leaves them).
create or replace function xai_live_upload_ids(p_ids jsonb) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(s.storage_upload_id), '[]'::jsonb) from upload_sessions s
  where s.state in ('uploading', 'verifying')
    and s.storage_upload_id in (select jsonb_array_elements_text(p_ids))
$$;
