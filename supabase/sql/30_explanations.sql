-- Explanations of a ready model, each one or more files (15_version_files.sql); same steps as models.

create or replace function xai_explanation_key(
  p_dataset text, p_model text, p_model_version integer, p_method text, p_id uuid, p_filename text
) returns text language sql immutable as $$
  select 'explanations/' || p_dataset || '/' || p_model || '-v' || p_model_version || '/' || p_method || '/' || p_id
         || '/' || p_filename
$$;

-- An explanation's record from its row, its model and its pinned dataset version: one
-- expression, no subquery, so that the planner inlines it into a list's query (see
-- xai_dataset_record).
create or replace function xai_explanation_record(e explanations, p_model jsonb, p_dataset jsonb) returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'id', e.id, 'ownerId', e.owner_id, 'method', e.method, 'params', e.params::text, 'summary', e.summary::text,
    'description', e.description, 'tags', to_jsonb(e.tags), 'state', e.state,
    'createdAt', xai_ts(e.created_at), 'updatedAt', xai_ts(e.updated_at), 'importances', e.importances,
    'model', p_model, 'dataset', p_dataset, 'datasetFile', e.dataset_file)
  || coalesce(e.files_json, xai_version_files_json(null, e.id))
$$;

-- The records of the explanations p_ids, in that order.
create or replace function xai_explanation_records(p_ids uuid[]) returns jsonb
language plpgsql stable set plan_cache_mode = force_generic_plan as $$
begin
  return (
    select coalesce(jsonb_agg(
        xai_explanation_record(e, jsonb_build_object('id', m.id, 'name', m.name, 'version', m.version),
                               xai_pinned_dataset_record(d, e.dataset_version, v.digest))
        order by i.ord), '[]'::jsonb)
    from unnest(p_ids) with ordinality i (id, ord)
    join explanations e on e.id = i.id
    join models m on m.id = e.model_id
    join datasets d on d.id = e.dataset_id
    left join dataset_versions v on v.dataset_id = e.dataset_id and v.version = e.dataset_version);
end $$;

create or replace function xai_explanation_json(e explanations) returns jsonb
language sql stable as $$ select xai_explanation_records(array[e.id]) -> 0 $$;

create or replace function xai_find_explanation(p_owner text, p_id uuid, p_lock boolean default false) returns explanations
language plpgsql as $$
declare e explanations;
begin
  if p_lock then perform xai_require_version(p_owner, null, p_id, false); end if;
  select * into e from explanations where id = p_id and xai_can_see(owner_id, p_owner) and state = 'ready';
  if not found then perform xai_raise('explanation_not_found', format('No explanation %s.', p_id)); end if;
  return e;
end $$;

-- p_fields: the explanation's fields as the API names them (modelId, datasetVersion, datasetFile,
-- method, params, summary, features, description, tags). The dataset version explained: the one
-- given (a number, latest or an alias of the model's dataset), else the one the model pins.
create or replace function xai_reserve_explanation(p_owner text, p_id uuid, p_fields json, p_expected_files integer)
returns jsonb language plpgsql as $$
declare
  m models; d datasets; e explanations; explained uuid := (p_fields ->> 'modelId')::uuid; explained_version integer;
begin
  -- Share lock: the model cannot be deleted between this check and the insert.
  select * into m from models where id = explained and xai_can_see(owner_id, p_owner) for share;
  if m.id is null then perform xai_raise('model_not_found', format('No model %s.', explained)); end if;
  if m.state <> 'ready' then
    perform xai_raise('model_not_ready', format('Model %s is still uploading; explain it once it is ready.', explained));
  end if;
  select * into d from datasets where id = m.dataset_id;
  explained_version := case when p_fields ->> 'datasetVersion' is null then m.dataset_version
                            else xai_require_dataset_version(d, p_fields ->> 'datasetVersion') end;
  -- The dataset file whose rows the explanation's rows are: a file of the version explained.
  if p_fields ->> 'datasetFile' is not null and not exists (
    select 1 from xai_dataset_version_files(d.id, explained_version) f where f.path = p_fields ->> 'datasetFile'
  ) then
    perform xai_raise('file_not_found',
      format('Version %s of dataset %s has no file %s (datasetFile).', explained_version, d.name, p_fields ->> 'datasetFile'));
  end if;
  insert into explanations (id, owner_id, model_id, dataset_id, dataset_version, method, params, summary, description,
                            tags, key_prefix, expected_files, state, features, dataset_file)
  values (p_id, m.owner_id, m.id, m.dataset_id, explained_version,
          p_fields ->> 'method', coalesce(p_fields -> 'params', '{}'),
          coalesce(p_fields -> 'summary', '{}'), p_fields ->> 'description', xai_text_array((p_fields -> 'tags')::jsonb),
          xai_explanation_key(d.name, m.name, m.version, p_fields ->> 'method', p_id, ''), p_expected_files, 'pending',
          (p_fields -> 'features')::jsonb, p_fields ->> 'datasetFile')
  returning * into e;
  return xai_explanation_json(e);
end $$;

-- Changes an explanation's fields, while its upload is pending (p_pending) or once ready (PATCH).
create or replace function xai_patch_explanation(p_owner text, p_id uuid, p_patch json, p_pending boolean) returns jsonb
language plpgsql as $$
declare e explanations;
begin
  perform xai_require_version(p_owner, null, p_id, p_pending);
  update explanations set
    description = case when xai_json_has(p_patch, 'description') then p_patch ->> 'description' else description end,
    tags = case when xai_json_has(p_patch, 'tags') then xai_text_array((p_patch -> 'tags')::jsonb) else tags end,
    summary = case when xai_json_has(p_patch, 'summary') then p_patch -> 'summary' else summary end,
    params = case when xai_json_has(p_patch, 'params') then p_patch -> 'params' else params end,
    features = case when xai_json_has(p_patch, 'features') then (p_patch -> 'features')::jsonb else features end,
    updated_at = case when p_pending then updated_at else clock_timestamp() end
  where id = p_id returning * into e;
  return xai_explanation_json(e);
end $$;

-- p_feature / p_max_rank: only explanations in which that feature ranks at most p_max_rank
-- (any rank when null).
create or replace function xai_list_explanations(
  p_owner text, p_limit integer, p_model_id uuid, p_dataset_ref text, p_dataset_version text, p_method text, p_tag text,
  p_after_created timestamptz, p_after_id uuid, p_feature text, p_max_rank integer
) returns jsonb language plpgsql stable as $$
declare
  dataset_filter uuid := case when p_dataset_ref is null then null else xai_dataset_id(p_owner, p_dataset_ref) end;
  version_filter integer := case when p_dataset_version is null then null
    else xai_dataset_version_of(dataset_filter, p_dataset_version) end;
  ids uuid[];
begin
  if p_dataset_ref is not null and dataset_filter is null then return '[]'::jsonb; end if;
  if p_dataset_version is not null and version_filter is null then return '[]'::jsonb; end if;
  -- Through a variable, as xai_list_datasets does.
  ids := array(
      select id from explanations
      where xai_can_see(owner_id, p_owner) and state = 'ready'
        and (p_model_id is null or model_id = p_model_id)
        and (dataset_filter is null or dataset_id = dataset_filter)
        and (version_filter is null or dataset_version = version_filter)
        and (p_method is null or method = p_method)
        and (p_tag is null or tags @> array[p_tag])
        and (p_feature is null or exists (select 1 from explanation_importances i
             where i.explanation_id = explanations.id and i.feature = p_feature and i.rank <= coalesce(p_max_rank, 2147483647)))
        and (p_after_created is null or (created_at, id) < (p_after_created, p_after_id))
      order by created_at desc, id desc
      limit p_limit);
  return xai_explanation_records(ids);
end $$;

-- p_by and p_cascade: as for every kind; nothing depends on an explanation.
create or replace function xai_delete_explanation(p_owner text, p_by text, p_id uuid, p_cascade boolean) returns jsonb
language plpgsql as $$
declare e explanations; keys text[];
begin
  e := xai_find_explanation(p_owner, p_id, true);
  keys := xai_version_keys('{}', array[e.id]);
  delete from explanations where id = e.id;
  return jsonb_build_object('deletedKeys', to_jsonb(keys));
end $$;
