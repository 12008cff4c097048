-- Datasets and their files: reserve (pending) before the bytes move, finalize a whole batch
-- after (the dataset's next version, 12_dataset_versions.sql), abandon on failure; profiles set
-- on pending files; reads and deletes. A dataset's files are those of its latest version
-- (until_version null); files of older versions stay, readable by id, until the dataset goes.

create or replace function xai_dataset_file_key(p_dataset text, p_id uuid, p_path text) returns text
language sql immutable as $$ select 'datasets/' || p_dataset || '/' || p_id || '/' || p_path $$;

create or replace function xai_file_json(f files) returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'id', f.id, 'datasetId', f.dataset_id, 'path', f.path, 'size', f.size, 'sha256', f.sha256,
    'contentType', f.content_type, 'etag', f.etag, 'state', f.state, 'objectKey', f.object_key,
    'createdAt', xai_ts(f.created_at), 'updatedAt', xai_ts(f.updated_at),
    'profile', coalesce(f.profile_summary,
      jsonb_build_object('status', 'none', 'format', null, 'rows', null, 'columns', null, 'reason', 'Not profiled.')))
$$;

-- What a dataset's record counts (its current files and their bytes, the models and explanations
-- that depend on it) and its latest version's digest, for many datasets in one pass: a list counts its whole page at once
-- instead of scanning the models table once per dataset.
create or replace function xai_dataset_counts(p_ids uuid[])
returns table (dataset_id uuid, file_count bigint, total_bytes numeric, models bigint, explanations bigint, digest text)
language sql stable as $$
  select i.id, coalesce(f.n, 0), coalesce(f.bytes, 0), coalesce(m.n, 0), coalesce(e.n, 0), v.digest
  from unnest(p_ids) i (id)
  left join datasets d on d.id = i.id
  left join dataset_versions v on v.dataset_id = d.id and v.version = d.version
  left join (select f.dataset_id, count(*) n, sum(f.size) bytes from files f
             where f.dataset_id = any(p_ids) and f.state = 'ready' and f.until_version is null group by 1) f
    on f.dataset_id = i.id
  left join (select m.dataset_id, count(*) n from models m where m.dataset_id = any(p_ids) group by 1) m on m.dataset_id = i.id
  left join (select e.dataset_id, count(*) n from explanations e where e.dataset_id = any(p_ids) group by 1) e
    on e.dataset_id = i.id
$$;

-- A dataset's record from its row and its counts: one expression, no subquery, so that the
-- planner inlines it into the query that lists many (a function called per row, with
-- subqueries of its own, cost a list of 20 about 4 ms of the database's time instead of 0.7).
create or replace function xai_dataset_record(
  d datasets, p_files bigint, p_bytes numeric, p_models bigint, p_explanations bigint, p_digest text
) returns jsonb language sql stable as $$
  select jsonb_build_object(
    'id', d.id, 'ownerId', d.owner_id, 'name', d.name, 'description', d.description,
    'tags', to_jsonb(d.tags), 'status', d.status, 'state', d.state, 'version', d.version,
    'createdAt', xai_ts(d.created_at), 'updatedAt', xai_ts(d.updated_at),
    'fileCount', coalesce(p_files, 0), 'totalBytes', coalesce(p_bytes, 0),
    'dependants', jsonb_build_object('models', coalesce(p_models, 0), 'explanations', coalesce(p_explanations, 0)),
    'digest', p_digest)
$$;

-- The records of the datasets p_ids, in that order, counted in one pass: what a list answers.
-- plpgsql with one generic plan kept per connection: as a SQL function its body was planned
-- again for every statement, and planning this join cost more than running it (pgbench, 10
-- clients: 1,000 calls/s, 2,500 with the plan kept). The same holds for xai_model_records and
-- xai_explanation_records.
create or replace function xai_dataset_records(p_ids uuid[]) returns jsonb
language plpgsql stable set plan_cache_mode = force_generic_plan as $$
begin
  return (
    select coalesce(jsonb_agg(
        xai_dataset_record(d, c.file_count, c.total_bytes, c.models, c.explanations, c.digest) order by i.ord), '[]'::jsonb)
    from unnest(p_ids) with ordinality i (id, ord)
    join datasets d on d.id = i.id
    left join xai_dataset_counts(p_ids) c on c.dataset_id = d.id);
end $$;

-- A dataset's current files, by path, as json (see xai_json_with_field).
create or replace function xai_dataset_files_json(p_dataset uuid) returns json
language sql stable as $$
  select coalesce(json_agg(xai_file_json(f) order by f.path collate "C"), '[]'::json) from files f
  where f.dataset_id = p_dataset and f.state = 'ready' and f.until_version is null
$$;

-- One dataset's record, with its current files when p_with_files: what a get answers.
create or replace function xai_dataset_json(d datasets, p_with_files boolean) returns json
language sql stable as $$
  select case when p_with_files
    then xai_json_with_field(xai_dataset_records(array[d.id]) -> 0, 'files', xai_dataset_files_json(d.id))
    else (xai_dataset_records(array[d.id]) -> 0)::json end
$$;

-- Resolves a dataset by uuid or by name within the owner's datasets; locks it when asked.
create or replace function xai_find_dataset(p_owner text, p_ref text, p_lock boolean default false)
returns datasets language plpgsql as $$
declare d datasets;
begin
  if xai_is_uuid(p_ref) then
    if p_lock then select * into d from datasets where id = p_ref::uuid and xai_can_see(owner_id, p_owner) for update;
    else select * into d from datasets where id = p_ref::uuid and xai_can_see(owner_id, p_owner); end if;
  else
    -- Names are unique per owner only: an admin naming a dataset several owners have must use its id.
    if p_owner = '*' and (select count(*) from datasets where name = p_ref) > 1 then
      perform xai_raise('ambiguous_name', format('Several owners have a dataset named %s; use its id.', p_ref));
    end if;
    if p_lock then select * into d from datasets where name = p_ref and xai_can_see(owner_id, p_owner) for update;
    else select * into d from datasets where name = p_ref and xai_can_see(owner_id, p_owner); end if;
  end if;
  if d.id is null or (d.state = 'pending' and not p_lock) then
    perform xai_raise('dataset_not_found', format('No dataset %s.', p_ref));
  end if;
  return d;
end $$;

-- Resolves a ready dataset of the owner by uuid or name, or null (no error: used by filters).
create or replace function xai_dataset_id(p_owner text, p_ref text) returns uuid
language sql stable as $$
  select id from datasets
  where xai_can_see(owner_id, p_owner) and state = 'ready'
    and case when xai_is_uuid(p_ref) then id = p_ref::uuid else name = p_ref end
$$;

create or replace function xai_reserve_dataset(
  p_owner text, p_id uuid, p_name text, p_description text, p_tags jsonb, p_status text, p_batch uuid
) returns jsonb language plpgsql as $$
declare d datasets;
begin
  if p_owner = '*' then perform xai_raise('validation_failed', 'A dataset needs a concrete owner.'); end if;
  insert into datasets (id, owner_id, name, description, tags, status, state, batch_id)
  values (p_id, p_owner, p_name, p_description, xai_text_array(p_tags), coalesce(p_status, 'raw'), 'pending', p_batch)
  returning * into d;
  return xai_dataset_json(d, false);
exception when unique_violation then
  perform xai_raise('dataset_exists', format('A dataset named %s already exists.', p_name));
end $$;

create or replace function xai_reserve_dataset_file(
  p_owner text, p_dataset_id uuid, p_batch uuid, p_id uuid, p_path text, p_content_type text, p_overwrite boolean
) returns jsonb language plpgsql as $$
declare d datasets; existing files; f files;
begin
  d := xai_find_dataset(p_owner, p_dataset_id::text, true);
  if d.state = 'pending' and d.batch_id is distinct from p_batch then
    perform xai_raise('dataset_not_found', format('No dataset %s.', p_dataset_id));
  end if;
  select * into existing from files where dataset_id = d.id and path = p_path and state = 'ready' and until_version is null;
  if existing.id is not null and not coalesce(p_overwrite, false) then
    perform xai_raise('file_exists', format('The dataset already has a file at %s; add ?overwrite=true to replace it.', p_path));
  end if;
  insert into files (id, dataset_id, owner_id, path, object_key, content_type, state, batch_id, replaces)
  values (p_id, d.id, d.owner_id, p_path, xai_dataset_file_key(d.name, p_id, p_path), p_content_type, 'pending', p_batch,
          existing.id)
  returning * into f;
  return xai_file_json(f);
exception when unique_violation then
  perform xai_raise('upload_in_progress', format('Another upload to %s is in progress.', p_path));
end $$;

-- Sets a file's profile (and a text file's row index) while its upload is pending (the finalize
-- that follows makes it visible). Any kind's file: an explanation's SHAP matrix is profiled too.
create or replace function xai_set_dataset_file_profile(
  p_owner text, p_file_id uuid, p_profile jsonb, p_summary jsonb, p_row_index jsonb
) returns void language plpgsql as $$
begin
  update files set profile = p_profile, profile_summary = p_summary, row_index = p_row_index
  where id = p_file_id and state = 'pending' and xai_can_see(owner_id, p_owner);
  if not found then
    perform xai_raise('upload_cancelled', 'The file was removed while its upload was in progress.');
  end if;
end $$;

create or replace function xai_patch_pending_dataset(p_owner text, p_id uuid, p_batch uuid, p_patch jsonb) returns void
language plpgsql as $$
begin
  update datasets set
    description = case when p_patch ? 'description' then p_patch ->> 'description' else description end,
    tags = case when p_patch ? 'tags' then xai_text_array(p_patch -> 'tags') else tags end,
    status = case when p_patch ? 'status' then p_patch ->> 'status' else status end
  where id = p_id and state = 'pending' and batch_id = p_batch and xai_can_see(owner_id, p_owner);
  if not found then perform xai_raise('upload_cancelled', 'The dataset was removed while its upload was in progress.'); end if;
end $$;

-- Makes every pending file of a batch ready in one transaction, as the dataset's next version
-- (none when the batch has no file): a file it replaces ends its run there, its bytes kept
-- for the versions before. The dataset row is locked first, so concurrent batches get
-- consecutive versions, each with exactly its own changes.
create or replace function xai_finalize_dataset_batch(
  p_owner text, p_by text, p_dataset_id uuid, p_batch uuid, p_files jsonb
) returns json language plpgsql as $$
declare d datasets; item jsonb; f files; v integer; n integer := jsonb_array_length(coalesce(p_files, '[]'::jsonb));
begin
  select * into d from datasets where id = p_dataset_id and xai_can_see(owner_id, p_owner) for update;
  if d.id is null then
    perform xai_raise('upload_cancelled', 'The dataset was deleted while the upload was in progress.');
  end if;
  if d.state = 'pending' and d.batch_id is distinct from p_batch then
    perform xai_raise('upload_cancelled', 'The dataset is being created by another request.');
  end if;
  v := coalesce(d.version, 0) + 1;
  for item in select * from jsonb_array_elements(coalesce(p_files, '[]'::jsonb)) loop
    select * into f from files
      where id = (item ->> 'id')::uuid and batch_id = p_batch and state = 'pending' for update;
    if f.id is null then
      perform xai_raise('upload_cancelled', 'A file of this upload was removed while it was in progress.');
    end if;
    update files set until_version = v where id = f.replaces and until_version is null;
    update files set state = 'ready', size = (item ->> 'size')::bigint, sha256 = item ->> 'sha256',
      etag = item ->> 'etag', replaces = null, since_version = v, updated_at = clock_timestamp()
      where id = f.id;
  end loop;
  if n > 0 then perform xai_record_dataset_version(d.id, v, p_by); end if;
  if d.state = 'pending' then
    update datasets set state = 'ready', batch_id = null, updated_at = clock_timestamp() where id = d.id;
  end if;
  select * into d from datasets where id = p_dataset_id;
  return xai_dataset_json(d, true);
end $$;

-- Undoes a batch that failed: its pending files go, and the dataset too when this batch created it.
create or replace function xai_abandon_dataset_batch(p_owner text, p_dataset_id uuid, p_batch uuid)
returns jsonb language plpgsql as $$
declare keys text[];
begin
  with gone as (
    delete from files where batch_id = p_batch and xai_can_see(owner_id, p_owner) and state = 'pending'
    returning object_key)
  select coalesce(array_agg(object_key), '{}') into keys from gone;
  delete from datasets where id = p_dataset_id and xai_can_see(owner_id, p_owner) and state = 'pending' and batch_id = p_batch;
  return jsonb_build_object('deletedKeys', to_jsonb(keys));
end $$;

create or replace function xai_get_dataset(p_owner text, p_ref text) returns json
language plpgsql stable as $$
begin
  return xai_dataset_json(xai_find_dataset(p_owner, p_ref), true);
end $$;

-- Keyset page, newest first: rows strictly after (p_after_created, p_after_id). plpgsql, so the
-- query is planned with the actual owner and walks the (owner_id, created_at, id) index.
-- The page's ids go through a variable: passed as a subquery, the records took 2.5 ms instead of 0.9.
create or replace function xai_list_datasets(
  p_owner text, p_limit integer, p_after_created timestamptz, p_after_id uuid, p_tag text, p_q text
) returns jsonb language plpgsql stable as $$
declare ids uuid[];
begin
  ids := array(
    select id from datasets
    where xai_can_see(owner_id, p_owner) and state = 'ready'
      and (p_after_created is null or (created_at, id) < (p_after_created, p_after_id))
      and (p_tag is null or tags @> array[p_tag])
      and (p_q is null or strpos(name, lower(p_q)) > 0)
    order by created_at desc, id desc
    limit p_limit);
  return xai_dataset_records(ids);
end $$;

create or replace function xai_update_dataset(p_owner text, p_ref text, p_patch jsonb) returns json
language plpgsql as $$
declare d datasets;
begin
  d := xai_find_dataset(p_owner, p_ref, true);
  if d.state <> 'ready' then perform xai_raise('dataset_not_found', format('No dataset %s.', p_ref)); end if;
  update datasets set
    description = case when p_patch ? 'description' then p_patch ->> 'description' else description end,
    tags = case when p_patch ? 'tags' then xai_text_array(p_patch -> 'tags') else tags end,
    status = case when p_patch ? 'status' then p_patch ->> 'status' else status end,
    updated_at = clock_timestamp()
  where id = d.id returning * into d;
  return xai_dataset_json(d, true);
end $$;

-- Deletes a dataset's rows (and with p_cascade its models and explanations) and returns
-- the object keys of every ready row removed; the caller deletes those objects next.
create or replace function xai_delete_dataset(p_owner text, p_ref text, p_cascade boolean) returns jsonb
language plpgsql as $$
declare d datasets; keys text[] := '{}'; n_models bigint; n_explanations bigint;
begin
  d := xai_find_dataset(p_owner, p_ref, true);
  if d.state <> 'ready' then perform xai_raise('dataset_not_found', format('No dataset %s.', p_ref)); end if;
  select count(*) into n_models from models where dataset_id = d.id;
  select count(*) into n_explanations from explanations where dataset_id = d.id;
  if (n_models > 0 or n_explanations > 0) and not coalesce(p_cascade, false) then
    perform xai_raise('dataset_in_use', format(
      'Dataset %s is used by %s model(s) and %s explanation(s); add ?cascade=true to delete them too.',
      d.name, n_models, n_explanations));
  end if;
  keys := xai_version_keys(array(select id from models where dataset_id = d.id),
                           array(select id from explanations where dataset_id = d.id));
  delete from explanations where dataset_id = d.id;
  delete from models where dataset_id = d.id;
  -- Every version's files: a dataset's versions go with it.
  with gone as (delete from files where dataset_id = d.id returning object_key, state)
  select keys || coalesce(array_agg(object_key) filter (where state = 'ready'), '{}') into keys from gone;
  delete from datasets where id = d.id;
  return jsonb_build_object('deletedKeys', to_jsonb(keys));
end $$;

-- A ready file of a dataset the caller may see, of its latest version or an older one.
create or replace function xai_find_dataset_file(p_owner text, p_ref text, p_file_id uuid) returns files
language plpgsql stable as $$
declare d datasets; f files;
begin
  d := xai_find_dataset(p_owner, p_ref);
  select * into f from files where id = p_file_id and dataset_id = d.id and state = 'ready';
  if f.id is null then perform xai_raise('file_not_found', format('Dataset %s has no file %s.', d.name, p_file_id)); end if;
  return f;
end $$;

-- plpgsql, not sql: a sql function would be inlined with the file lookup once per field it reads
-- (measured: the download route's lookup took twice as long).
create or replace function xai_get_dataset_file(p_owner text, p_ref text, p_file_id uuid) returns jsonb
language plpgsql stable as $$
begin
  return xai_file_json(xai_find_dataset_file(p_owner, p_ref, p_file_id));
end $$;

create or replace function xai_get_dataset_file_profile(p_owner text, p_ref text, p_file_id uuid) returns jsonb
language plpgsql stable as $$
begin
  return coalesce((xai_find_dataset_file(p_owner, p_ref, p_file_id)).profile,
                  jsonb_build_object('profile', null, 'reason', 'Not profiled (uploaded before profiles existed).'));
end $$;

-- A file leaves the dataset: the next version is the latest without it. Its bytes stay, for
-- the versions that hold it.
create or replace function xai_delete_dataset_file(p_owner text, p_by text, p_ref text, p_file_id uuid) returns jsonb
language plpgsql as $$
declare d datasets; v integer;
begin
  d := xai_find_dataset(p_owner, p_ref, true);
  v := coalesce(d.version, 0) + 1;
  update files set until_version = v
    where id = p_file_id and dataset_id = d.id and state = 'ready' and until_version is null;
  if not found then
    perform xai_raise('file_not_found', format('The latest version of dataset %s has no file %s.', d.name, p_file_id));
  end if;
  perform xai_record_dataset_version(d.id, v, p_by);
  return jsonb_build_object('version', v);
end $$;
