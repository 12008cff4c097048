-- Dataset versions: every change to a dataset's file set (a finalized batch, a deleted file)
-- makes the next immutable version. A file belongs to the versions [since_version,
-- until_version), so a version's files are one range query and nothing is copied per version.
-- The digest is the SHA-256 of the canonical manifest, documented in the README so anyone can
-- recompute it: the JSON array of {"path","sha256","size"} by path in code-point order (byte
-- order of UTF-8, hence collate "C"), keys in that order, no whitespace.

-- The files of one version of a dataset (inlined by the planner: one range scan).
create or replace function xai_dataset_version_files(p_dataset uuid, p_version integer) returns setof files
language sql stable as $$
  select * from files
  where dataset_id = p_dataset and state = 'ready' and since_version <= p_version
    and (until_version is null or until_version > p_version)
$$;

-- The version a reference names: null (no reference) is the latest, which may be none yet;
-- 'latest', a number or an alias must name a version, else null is returned.
create or replace function xai_dataset_version_of(p_dataset uuid, p_ref text) returns integer
language sql stable as $$
  select case
    when p_ref is null or p_ref = 'latest' then (select version from datasets where id = p_dataset)
    when p_ref ~ '^[0-9]{1,9}$' then
      (select version from dataset_versions where dataset_id = p_dataset and version = p_ref::integer)
    else (select version from aliases where dataset_id = p_dataset and model_name = '' and alias = p_ref)
  end
$$;

-- The same, raising dataset_version_not_found when a given reference names nothing.
create or replace function xai_require_dataset_version(d datasets, p_ref text) returns integer
language plpgsql stable as $$
declare v integer := xai_dataset_version_of(d.id, p_ref);
begin
  if v is null and p_ref is not null then
    perform xai_raise('dataset_version_not_found', format('Dataset %s has no version %s.', d.name, p_ref));
  end if;
  return v;
end $$;

-- Records version p_version of a locked dataset from its files' runs, and makes it the latest.
create or replace function xai_record_dataset_version(p_dataset uuid, p_version integer, p_by text) returns void
language sql as $$
  insert into dataset_versions (dataset_id, version, digest, file_count, size, created_by)
  select p_dataset, p_version,
         encode(sha256(convert_to('[' || coalesce(string_agg(
           '{"path":' || to_json(f.path)::text || ',"sha256":"' || f.sha256 || '","size":' || f.size || '}',
           ',' order by f.path collate "C"), '') || ']', 'UTF8')), 'hex'),
         count(*), coalesce(sum(f.size), 0), p_by
  from xai_dataset_version_files(p_dataset, p_version) f;
  update datasets set version = p_version, updated_at = clock_timestamp() where id = p_dataset;
$$;

-- {id, name, version, digest} of the dataset version a model or explanation pins: one
-- expression, inlined into the queries that list many (xai_model_records, xai_explanation_records).
create or replace function xai_pinned_dataset_record(d datasets, p_version integer, p_digest text) returns jsonb
language sql stable as $$ select jsonb_build_object('id', d.id, 'name', d.name, 'version', p_version, 'digest', p_digest) $$;

create or replace function xai_pinned_dataset_json(p_dataset uuid, p_version integer) returns jsonb
language sql stable as $$
  select xai_pinned_dataset_record(d, p_version, v.digest)
  from datasets d left join dataset_versions v on v.dataset_id = d.id and v.version = p_version
  where d.id = p_dataset
$$;

create or replace function xai_version_aliases(p_dataset uuid, p_model_name text, p_version integer) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(alias order by alias), '[]'::jsonb) from aliases
  where dataset_id = p_dataset and model_name = p_model_name and version = p_version
$$;

create or replace function xai_dataset_version_file_json(f files) returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'id', f.id, 'path', f.path, 'size', f.size, 'sha256', f.sha256, 'contentType', f.content_type,
    'objectKey', f.object_key, 'profile', coalesce(f.profile_summary, jsonb_build_object(
      'status', 'none', 'format', null, 'rows', null, 'columns', null, 'reason', 'Not profiled.')))
$$;

-- A dataset version's record from its row and its aliases: one expression, inlined into the
-- query that answers many (xai_dataset_version_records).
create or replace function xai_dataset_version_record(v dataset_versions, p_aliases jsonb) returns jsonb
language sql stable as $$
  select jsonb_build_object('version', v.version, 'digest', v.digest, 'fileCount', v.file_count, 'size', v.size,
                            'createdAt', xai_ts(v.created_at), 'createdBy', v.created_by, 'aliases', p_aliases)
$$;

-- The records of versions p_versions of one dataset, in that order: what a list answers.
-- plpgsql with one generic plan per connection, as xai_dataset_records.
create or replace function xai_dataset_version_records(p_dataset uuid, p_versions integer[])
returns jsonb language plpgsql stable set plan_cache_mode = force_generic_plan as $$
begin
  return (
    select coalesce(jsonb_agg(xai_dataset_version_record(v, xai_version_aliases(v.dataset_id, '', v.version)) order by i.ord),
                    '[]'::jsonb)
    from unnest(p_versions) with ordinality i (version, ord)
    join dataset_versions v on v.dataset_id = p_dataset and v.version = i.version);
end $$;

-- A version's files, by path, as json (see xai_json_with_field).
create or replace function xai_dataset_version_files_json(p_dataset uuid, p_version integer) returns json
language sql stable as $$
  select coalesce(json_agg(xai_dataset_version_file_json(f) order by f.path collate "C"), '[]'::json)
  from xai_dataset_version_files(p_dataset, p_version) f
$$;

-- One version's record, with its files (the manifest) when p_with_files: what a get answers.
create or replace function xai_dataset_version_json(v dataset_versions, p_with_files boolean) returns json
language sql stable as $$
  select case when p_with_files
    then xai_json_with_field(xai_dataset_version_records(v.dataset_id, array[v.version]) -> 0, 'files',
                             xai_dataset_version_files_json(v.dataset_id, v.version))
    else (xai_dataset_version_records(v.dataset_id, array[v.version]) -> 0)::json end
$$;

-- One version of a dataset the caller may see, by number, 'latest' or alias.
create or replace function xai_find_dataset_version(p_owner text, p_ref text, p_version text) returns dataset_versions
language plpgsql stable as $$
declare d datasets := xai_find_dataset(p_owner, p_ref); v dataset_versions;
begin
  select * into v from dataset_versions
    where dataset_id = d.id and version = xai_dataset_version_of(d.id, coalesce(p_version, 'latest'));
  if v.version is null then
    perform xai_raise('dataset_version_not_found', format('Dataset %s has no version %s.', d.name, p_version));
  end if;
  return v;
end $$;

create or replace function xai_get_dataset_version(p_owner text, p_ref text, p_version text) returns json
language plpgsql stable as $$
begin
  return xai_dataset_version_json(xai_find_dataset_version(p_owner, p_ref, p_version), true);
end $$;

-- Keyset page, newest first: versions below p_after_version.
create or replace function xai_list_dataset_versions(p_owner text, p_ref text, p_limit integer, p_after_version integer)
returns jsonb language plpgsql stable as $$
declare d datasets := xai_find_dataset(p_owner, p_ref); versions integer[];
begin
  versions := array(select version from dataset_versions
                    where dataset_id = d.id and (p_after_version is null or version < p_after_version)
                    order by version desc limit p_limit);
  return xai_dataset_version_records(d.id, versions);
end $$;

-- What was made from one dataset version: the ready models and explanations that pin it.
create or replace function xai_dataset_version_lineage(p_owner text, p_ref text, p_version text) returns jsonb
language plpgsql stable as $$
declare v dataset_versions := xai_find_dataset_version(p_owner, p_ref, p_version);
begin
  return jsonb_build_object(
    'dataset', xai_pinned_dataset_json(v.dataset_id, v.version),
    'models', coalesce((select jsonb_agg(xai_model_json(m) order by m.name, m.version) from models m
                        where m.dataset_id = v.dataset_id and m.dataset_version = v.version and m.state = 'ready'
                          and xai_can_see(m.owner_id, p_owner)), '[]'::jsonb),
    'explanations', coalesce((select jsonb_agg(xai_explanation_json(e) order by e.created_at, e.id) from explanations e
                              where e.dataset_id = v.dataset_id and e.dataset_version = v.version and e.state = 'ready'
                                and xai_can_see(e.owner_id, p_owner)), '[]'::jsonb));
end $$;

-- Prunes an old version nothing needs (not the latest, pinned by no model or explanation, named
-- by no alias): its row goes, and the files no remaining version holds, whose keys are returned
-- for the caller to delete. What stays is unchanged, so remaining versions keep their digests.
create or replace function xai_delete_dataset_version(p_owner text, p_ref text, p_version integer) returns jsonb
language plpgsql as $$
declare d datasets := xai_find_dataset(p_owner, p_ref, true); keys text[];
begin
  if not exists (select 1 from dataset_versions where dataset_id = d.id and version = p_version) then
    perform xai_raise('dataset_version_not_found', format('Dataset %s has no version %s.', d.name, p_version));
  end if;
  if p_version = d.version then
    perform xai_raise('version_in_use', format('Version %s is the latest of dataset %s: its files are the dataset''s.', p_version, d.name));
  end if;
  if exists (select 1 from models where dataset_id = d.id and dataset_version = p_version)
     or exists (select 1 from explanations where dataset_id = d.id and dataset_version = p_version) then
    perform xai_raise('version_in_use', format('Version %s of dataset %s is pinned by models or explanations.', p_version, d.name));
  end if;
  if exists (select 1 from aliases where dataset_id = d.id and model_name = '' and version = p_version) then
    perform xai_raise('version_in_use', format('Version %s of dataset %s is named by an alias.', p_version, d.name));
  end if;
  delete from dataset_versions where dataset_id = d.id and version = p_version;
  with gone as (
    delete from files f
    where f.dataset_id = d.id and f.state = 'ready' and f.since_version <= p_version and f.until_version > p_version
      and not exists (select 1 from dataset_versions v
                      where v.dataset_id = d.id and v.version >= f.since_version and v.version < f.until_version)
    returning f.object_key)
  select coalesce(array_agg(object_key), '{}') into keys from gone;
  return jsonb_build_object('deletedKeys', to_jsonb(keys));
end $$;
