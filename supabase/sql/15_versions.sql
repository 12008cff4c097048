-- What model versions and explanations share: their files, rows of `files` like a dataset's,
-- added only while the version is pending (a version is immutable once ready), each stored under
-- the version's key prefix and its path, and made ready together: a version appears whole or
-- not. A version is named by (p_model_id, p_explanation_id), one of them null.

create or replace function xai_version_file_json(f files) returns jsonb
language sql immutable as $$
  select jsonb_build_object('id', f.id, 'path', f.path, 'size', f.size, 'sha256', f.sha256, 'contentType', f.content_type)
$$;

-- A version's files for its record: every ready file by path, and for a single-file version
-- that file's fields at the top level, as records had them before versions held several files.
create or replace function xai_version_files_json(p_model uuid, p_explanation uuid) returns jsonb
language sql stable as $$
  select case when count(*) = 1 then jsonb_build_object(
           'filename', regexp_replace(min(f.path), '^.*/', ''), 'sha256', min(f.sha256),
           'contentType', min(f.content_type), 'etag', min(f.etag), 'objectKey', min(f.object_key))
         else jsonb_build_object('filename', null, 'sha256', null, 'contentType', null, 'etag', null, 'objectKey', null) end
      || jsonb_build_object('size', sum(f.size), 'fileCount', count(*),
           'files', coalesce(jsonb_agg(xai_version_file_json(f) order by f.path), '[]'::jsonb))
  from (
    select * from files where model_id = p_model and state = 'ready'
    union all
    select * from files where explanation_id = p_explanation and state = 'ready'
  ) f
$$;

-- Locks the caller's version (p_model_id or p_explanation_id, the other null): while its upload
-- is pending (p_pending), or once it is ready. False when there is no such version.
create or replace function xai_lock_version(p_owner text, p_model_id uuid, p_explanation_id uuid, p_pending boolean)
returns boolean language plpgsql as $$
begin
  perform 1 from models where id = p_model_id and xai_can_see(owner_id, p_owner)
    and state = case when p_pending then 'pending' else 'ready' end for update;
  if not found then
    perform 1 from explanations where id = p_explanation_id and xai_can_see(owner_id, p_owner)
      and state = case when p_pending then 'pending' else 'ready' end for update;
  end if;
  return found;
end $$;

-- The same, raising what the API answers when there is none: upload_cancelled for a pending
-- version (it was removed meanwhile), model_not_found or explanation_not_found for a ready one.
create or replace function xai_require_version(p_owner text, p_model_id uuid, p_explanation_id uuid, p_pending boolean)
returns void language plpgsql as $$
begin
  if xai_lock_version(p_owner, p_model_id, p_explanation_id, p_pending) then return; end if;
  if p_pending then
    perform xai_raise('upload_cancelled', 'The version was removed while its upload was in progress.');
  end if;
  perform xai_raise(case when p_model_id is not null then 'model_not_found' else 'explanation_not_found' end,
                    format('No %s %s.', case when p_model_id is not null then 'model' else 'explanation' end,
                           coalesce(p_model_id, p_explanation_id)));
end $$;

-- Reserves one file of a pending version of the caller's (p_model_id or p_explanation_id).
create or replace function xai_reserve_version_file(
  p_owner text, p_model_id uuid, p_explanation_id uuid, p_batch uuid, p_id uuid, p_path text, p_content_type text
) returns jsonb language plpgsql as $$
declare prefix text; artifact_owner text; expected integer; f files;
begin
  if p_model_id is not null then
    select key_prefix, owner_id, expected_files into prefix, artifact_owner, expected from models
      where id = p_model_id and state = 'pending' and xai_can_see(owner_id, p_owner) for update;
  else
    select key_prefix, owner_id, expected_files into prefix, artifact_owner, expected from explanations
      where id = p_explanation_id and state = 'pending' and xai_can_see(owner_id, p_owner) for update;
  end if;
  if prefix is null then
    if exists (select 1 from models where id = p_model_id and xai_can_see(owner_id, p_owner))
       or exists (select 1 from explanations where id = p_explanation_id and xai_can_see(owner_id, p_owner)) then
      perform xai_raise('upload_not_open', 'This version is complete, and versions are immutable: upload a new one.');
    end if;
    perform xai_raise(case when p_model_id is not null then 'model_not_found' else 'explanation_not_found' end,
                      format('No version %s being uploaded.', coalesce(p_model_id, p_explanation_id)));
  end if;
  if expected is not null
     and (select count(*) from files where model_id = p_model_id or explanation_id = p_explanation_id) >= expected then
    perform xai_raise('too_many_files', format('This version was opened for %s file(s); they all have uploads.', expected));
  end if;
  insert into files (id, model_id, explanation_id, owner_id, path, object_key, content_type, state, batch_id)
  values (p_id, p_model_id, p_explanation_id, artifact_owner, p_path, prefix || p_path, p_content_type, 'pending', p_batch)
  returning * into f;
  return jsonb_build_object('id', f.id, 'path', f.path, 'objectKey', f.object_key, 'contentType', f.content_type,
                            'ownerId', f.owner_id);
exception when unique_violation then
  perform xai_raise('file_exists', format('This upload has two files at %s.', p_path));
end $$;

-- Makes the given pending files of a version ready ([{id, size, sha256, etag}]).
create or replace function xai_mark_version_files_ready(p_model_id uuid, p_explanation_id uuid, p_files jsonb)
returns void language plpgsql as $$
declare item jsonb;
begin
  for item in select * from jsonb_array_elements(coalesce(p_files, '[]'::jsonb)) loop
    update files set state = 'ready', size = (item ->> 'size')::bigint, sha256 = item ->> 'sha256',
      etag = item ->> 'etag', updated_at = clock_timestamp()
    where id = (item ->> 'id')::uuid and state = 'pending'
      and (model_id = p_model_id or explanation_id = p_explanation_id);
    if not found then
      perform xai_raise('upload_cancelled', 'A file of this upload was removed while it was in progress.');
    end if;
  end loop;
end $$;

-- The same, for a version about to become ready: after it, every file the version has must be.
create or replace function xai_finish_version_files(p_model_id uuid, p_explanation_id uuid, p_files jsonb)
returns void language plpgsql as $$
begin
  perform xai_mark_version_files_ready(p_model_id, p_explanation_id, p_files);
  if exists (select 1 from files where (model_id = p_model_id or explanation_id = p_explanation_id) and state = 'pending')
     or not exists (select 1 from files where model_id = p_model_id or explanation_id = p_explanation_id) then
    perform xai_raise('upload_incomplete', 'Every file of a version must be stored before it is finalized.');
  end if;
end $$;

-- One verified file of a version sent by direct upload ({id, size, sha256, etag}): ready now;
-- true when it completes the version (as many ready files as its first session declared), which
-- the caller then finalizes. The version row is locked first, so of two files verified at once
-- exactly one sees the version complete.
create or replace function xai_store_version_file(p_model_id uuid, p_explanation_id uuid, p_file jsonb)
returns boolean language plpgsql as $$
declare expected integer; ready integer;
begin
  if p_model_id is not null then
    select coalesce(expected_files, 1) into expected from models where id = p_model_id and state = 'pending' for update;
  else
    select coalesce(expected_files, 1) into expected from explanations where id = p_explanation_id and state = 'pending' for update;
  end if;
  if expected is null then
    perform xai_raise('upload_cancelled', 'The version was removed while its upload was in progress.');
  end if;
  perform xai_mark_version_files_ready(p_model_id, p_explanation_id, jsonb_build_array(p_file));
  select count(*) into ready from files
    where (model_id = p_model_id or explanation_id = p_explanation_id) and state = 'ready';
  return ready >= expected;
end $$;

-- The object keys of a version's files (all of them, pending ones included), before its rows go.
create or replace function xai_version_keys(p_model_ids uuid[], p_explanation_ids uuid[]) returns text[]
language sql stable as $$
  select coalesce(array_agg(object_key), '{}') from (
    select object_key from files where model_id = any(p_model_ids)
    union all
    select object_key from files where explanation_id = any(p_explanation_ids)
  ) k
$$;

-- One ready file of a ready model version or explanation the caller may see.
create or replace function xai_get_version_file(p_owner text, p_model_id uuid, p_explanation_id uuid, p_file_id uuid)
returns jsonb language plpgsql stable as $$
declare f files;
begin
  if p_model_id is not null then perform xai_find_model(p_owner, p_model_id);
  else perform xai_find_explanation(p_owner, p_explanation_id); end if;
  select * into f from files where id = p_file_id and state = 'ready'
    and (model_id = p_model_id or explanation_id = p_explanation_id);
  if f.id is null then perform xai_raise('file_not_found', format('No file %s in this version.', p_file_id)); end if;
  return xai_version_file_json(f) || jsonb_build_object('objectKey', f.object_key, 'etag', f.etag);
end $$;

-- A version's record (a model's with its explanations).
create or replace function xai_version_json(p_model_id uuid, p_explanation_id uuid) returns jsonb
language plpgsql stable as $$
begin
  if p_model_id is not null then return (select xai_model_detail_json(m) from models m where m.id = p_model_id); end if;
  return (select xai_explanation_json(e) from explanations e where e.id = p_explanation_id);
end $$;

-- A ready version of the caller's.
create or replace function xai_get_version(p_owner text, p_model_id uuid, p_explanation_id uuid) returns jsonb
language plpgsql stable as $$
begin
  if p_model_id is not null then return xai_model_detail_json(xai_find_model(p_owner, p_model_id)); end if;
  return xai_explanation_json(xai_find_explanation(p_owner, p_explanation_id));
end $$;

-- The caller's pending version becomes ready with every one of its files (p_files: those this
-- request stored, [{id, size, sha256, etag}]; a direct upload's were stored one by one).
create or replace function xai_finalize_version(p_owner text, p_model_id uuid, p_explanation_id uuid, p_files jsonb)
returns jsonb language plpgsql as $$
begin
  -- The version row first (as xai_abandon_version locks it), then its files.
  perform xai_require_version(p_owner, p_model_id, p_explanation_id, true);
  perform xai_finish_version_files(p_model_id, p_explanation_id, p_files);
  -- files_json is built once: a ready version's files never change (see its migration).
  update models set state = 'ready', files_json = xai_version_files_json(id, null), updated_at = clock_timestamp()
    where id = p_model_id;
  update explanations set state = 'ready', files_json = xai_version_files_json(null, id), updated_at = clock_timestamp()
    where id = p_explanation_id;
  if p_explanation_id is not null then perform xai_record_importances(p_explanation_id); end if;
  return xai_version_json(p_model_id, p_explanation_id);
end $$;

-- Undoes the caller's pending version and its files' rows; returns their object keys.
create or replace function xai_abandon_version(p_owner text, p_model_id uuid, p_explanation_id uuid) returns jsonb
language plpgsql as $$
declare keys text[] := '{}';
begin
  if xai_lock_version(p_owner, p_model_id, p_explanation_id, true) then
    keys := xai_version_keys(array[p_model_id], array[p_explanation_id]);
    delete from models where id = p_model_id;
    delete from explanations where id = p_explanation_id;
  end if;
  return jsonb_build_object('deletedKeys', to_jsonb(keys));
end $$;
