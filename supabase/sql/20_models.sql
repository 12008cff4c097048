-- Models: versioned per (dataset, name), each version one or more files (15_version_files.sql);
-- reserved (pending) before the bytes move, finalized (ready) with all its files, abandoned on failure.

create or replace function xai_model_key(p_dataset text, p_name text, p_version integer, p_id uuid, p_filename text)
returns text language sql immutable as $$
  select 'models/' || p_dataset || '/' || p_name || '/v' || p_version || '-' || p_id || '/' || p_filename
$$;

-- A model's record from its row, its pinned dataset version and its explanation count: one
-- expression, no subquery, so that the planner inlines it into a list's query (see
-- xai_dataset_record).
create or replace function xai_model_record(m models, p_dataset jsonb, p_explanations bigint) returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'id', m.id, 'ownerId', m.owner_id, 'name', m.name, 'version', m.version,
    'framework', m.framework, 'format', m.format, 'safeToLoad', m.safe_to_load,
    'metrics', m.metrics::text, 'params', m.params::text, 'description', m.description, 'tags', to_jsonb(m.tags),
    'state', m.state, 'createdAt', xai_ts(m.created_at), 'updatedAt', xai_ts(m.updated_at),
    'dataset', p_dataset, 'dependants', jsonb_build_object('explanations', p_explanations))
  || coalesce(m.files_json, xai_version_files_json(m.id, null))
$$;

-- The records of the models p_ids, in that order; with p_sort_values (a list by a metric) each
-- with its sortValue.
create or replace function xai_model_records(p_ids uuid[], p_sort_values double precision[] default null) returns jsonb
language plpgsql stable set plan_cache_mode = force_generic_plan as $$
begin
  return (
    select coalesce(jsonb_agg(
        xai_model_record(m, xai_pinned_dataset_record(d, m.dataset_version, v.digest),
                         (select count(*) from explanations e where e.model_id = m.id))
        || case when p_sort_values is null then '{}'::jsonb else jsonb_build_object('sortValue', i.sort_value) end
        order by i.ord), '[]'::jsonb)
    from unnest(p_ids, coalesce(p_sort_values, '{}')) with ordinality i (id, sort_value, ord)
    join models m on m.id = i.id
    join datasets d on d.id = m.dataset_id
    left join dataset_versions v on v.dataset_id = m.dataset_id and v.version = m.dataset_version);
end $$;

create or replace function xai_model_json(m models) returns jsonb
language sql stable as $$ select xai_model_records(array[m.id]) -> 0 $$;

create or replace function xai_model_detail_json(m models) returns jsonb
language sql stable as $$
  select xai_model_json(m) || jsonb_build_object('aliases', xai_version_aliases(m.dataset_id, m.name, m.version))
  || jsonb_build_object('explanations', coalesce(
    (select jsonb_agg(jsonb_build_object('id', e.id, 'method', e.method, 'createdAt', xai_ts(e.created_at))
                      order by e.created_at desc, e.id desc)
       from explanations e where e.model_id = m.id and e.state = 'ready'), '[]'::jsonb))
$$;

create or replace function xai_find_model(p_owner text, p_id uuid, p_lock boolean default false) returns models
language plpgsql as $$
declare m models;
begin
  if p_lock then perform xai_require_version(p_owner, p_id, null, false); end if;
  select * into m from models where id = p_id and xai_can_see(owner_id, p_owner) and state = 'ready';
  if not found then perform xai_raise('model_not_found', format('No model %s.', p_id)); end if;
  return m;
end $$;

-- A model's numeric metrics as rows of model_metrics (the index a sort by metric walks): called
-- by every function that writes a model's metrics.
create or replace function xai_sync_model_metrics(m models) returns void
language sql as $$
  delete from model_metrics where model_id = m.id;
  insert into model_metrics (model_id, owner_id, metric, value)
  select m.id, m.owner_id, k.key, (k.value #>> '{}')::double precision
  from json_each(m.metrics) k where json_typeof(k.value) = 'number';
$$;

-- Reserves the next version of (dataset, name), pinned to the dataset version it was trained
-- on (datasetVersion: a number, latest or an alias; default the latest). The dataset row is
-- locked, so concurrent uploads of one name get consecutive versions, and the pinned version
-- is the one that is latest now. p_fields: the model's fields as the API names them (datasetId,
-- datasetVersion, name, framework, format, safeToLoad, metrics, params, description, tags).
create or replace function xai_reserve_model(p_owner text, p_id uuid, p_fields json, p_expected_files integer)
returns jsonb language plpgsql as $$
declare d datasets; v integer; m models; model_name text := p_fields ->> 'name';
begin
  select * into d from datasets
    where id = (p_fields ->> 'datasetId')::uuid and xai_can_see(owner_id, p_owner) and state = 'ready' for update;
  if d.id is null then perform xai_raise('dataset_not_found', format('No dataset %s.', p_fields ->> 'datasetId')); end if;
  select coalesce(max(version), 0) + 1 into v from models where dataset_id = d.id and name = model_name;
  insert into models (id, owner_id, dataset_id, dataset_version, name, version, framework, format, safe_to_load, metrics,
                      params, description, tags, key_prefix, expected_files, state)
  values (p_id, d.owner_id, d.id, xai_require_dataset_version(d, p_fields ->> 'datasetVersion'), model_name, v,
          coalesce(p_fields ->> 'framework', 'other'), p_fields ->> 'format',
          (p_fields ->> 'safeToLoad')::boolean, coalesce(p_fields -> 'metrics', '{}'), coalesce(p_fields -> 'params', '{}'),
          p_fields ->> 'description', xai_text_array((p_fields -> 'tags')::jsonb),
          xai_model_key(d.name, model_name, v, p_id, ''), p_expected_files, 'pending')
  returning * into m;
  perform xai_sync_model_metrics(m);
  return xai_model_json(m);
end $$;

-- Changes a model's fields: while its upload is pending (p_pending; also what its file set
-- decides: format, safeToLoad, framework) or once ready (PATCH /models/{id}).
create or replace function xai_patch_model(p_owner text, p_id uuid, p_patch json, p_pending boolean) returns jsonb
language plpgsql as $$
declare m models;
begin
  perform xai_require_version(p_owner, p_id, null, p_pending);
  update models set
    framework = case when p_pending and xai_json_has(p_patch, 'framework') then p_patch ->> 'framework' else framework end,
    format = case when p_pending and xai_json_has(p_patch, 'format') then p_patch ->> 'format' else format end,
    safe_to_load = case when p_pending and xai_json_has(p_patch, 'safeToLoad') then (p_patch ->> 'safeToLoad')::boolean
                        else safe_to_load end,
    description = case when xai_json_has(p_patch, 'description') then p_patch ->> 'description' else description end,
    tags = case when xai_json_has(p_patch, 'tags') then xai_text_array((p_patch -> 'tags')::jsonb) else tags end,
    metrics = case when xai_json_has(p_patch, 'metrics') then p_patch -> 'metrics' else metrics end,
    params = case when xai_json_has(p_patch, 'params') then p_patch -> 'params' else params end,
    updated_at = case when p_pending then updated_at else clock_timestamp() end
  where id = p_id returning * into m;
  if xai_json_has(p_patch, 'metrics') then perform xai_sync_model_metrics(m); end if;
  return xai_model_detail_json(m);
end $$;

-- A version of (dataset, name) by reference: latest (the highest ready version), a number or an alias.
create or replace function xai_model_by_ref(p_owner text, p_dataset_ref text, p_name text, p_ref text) returns jsonb
language plpgsql stable as $$
declare d uuid; m models;
begin
  d := xai_dataset_id(p_owner, p_dataset_ref);
  if d is null then perform xai_raise('dataset_not_found', format('No dataset %s.', p_dataset_ref)); end if;
  select * into m from models
    where dataset_id = d and name = p_name and xai_can_see(owner_id, p_owner) and state = 'ready'
      and case when p_ref = 'latest' then true
               when p_ref ~ '^[0-9]{1,9}$' then version = p_ref::integer
               else version = (select a.version from aliases a where a.dataset_id = d and a.model_name = p_name and a.alias = p_ref)
          end
    order by version desc limit 1;
  if m.id is null then
    perform xai_raise('model_not_found', format('No ready version %s of model %s for dataset %s.', p_ref, p_name, p_dataset_ref));
  end if;
  return xai_model_detail_json(m);
end $$;

-- What every query of a models list filters by (dataset, version, name, framework, tag; null:
-- any): one expression, inlined by the planner, so each query still walks its own index.
create or replace function xai_model_listed(
  m models, p_owner text, p_dataset uuid, p_version integer, p_name text, p_framework text, p_tag text
) returns boolean language sql stable as $$
  select xai_can_see(m.owner_id, p_owner) and m.state = 'ready'
    and (p_dataset is null or m.dataset_id = p_dataset) and (p_version is null or m.dataset_version = p_version)
    and (p_name is null or m.name = p_name) and (p_framework is null or m.framework = p_framework)
    and (p_tag is null or m.tags @> array[p_tag])
$$;

-- Keyset page. Sort: created_at (p_metric null) or a numeric metric, p_desc for direction;
-- ties always newest first; models without the metric come last. The cursor is the last
-- row's (metric value, created_at, id). The created_at sort is its own query so that it walks
-- the (owner_id, created_at, id) index straight to the page, however deep.
create or replace function xai_list_models(
  p_owner text, p_limit integer, p_dataset_ref text, p_dataset_version text, p_name text, p_framework text, p_tag text,
  p_metric text, p_desc boolean, p_after_value double precision, p_after_created timestamptz, p_after_id uuid
) returns jsonb language plpgsql stable as $$
declare
  dataset_filter uuid := case when p_dataset_ref is null then null else xai_dataset_id(p_owner, p_dataset_ref) end;
  version_filter integer := case when p_dataset_version is null then null
    else xai_dataset_version_of(dataset_filter, p_dataset_version) end;
  ids uuid[];
  sort_values double precision[];
  missing uuid[];
begin
  if p_dataset_ref is not null and dataset_filter is null then return '[]'::jsonb; end if;
  if p_dataset_version is not null and version_filter is null then return '[]'::jsonb; end if;
  if p_metric is null and p_desc then
    ids := array(
      select id from models m
      where xai_model_listed(m, p_owner, dataset_filter, version_filter, p_name, p_framework, p_tag)
        and (p_after_created is null or (created_at, id) < (p_after_created, p_after_id))
      order by created_at desc, id desc
      limit p_limit);
    return xai_model_records(ids);
  end if;
  if p_metric is null then
    ids := array(
      select id from models m
      where xai_model_listed(m, p_owner, dataset_filter, version_filter, p_name, p_framework, p_tag)
        and (p_after_created is null or (created_at, id) > (p_after_created, p_after_id))
      order by created_at, id
      limit p_limit);
    return xai_model_records(ids);
  end if;
  -- By a metric: the models that have it walk model_metrics' index (by value, from the cursor's
  -- place; ties newest first), then those without it follow, newest first. A cursor with a null
  -- value is in that second part.
  ids := '{}';
  if p_after_created is null or p_after_value is not null then
    ids := array(
      select mm.model_id from model_metrics mm join models m on m.id = mm.model_id
      where xai_can_see(mm.owner_id, p_owner) and mm.metric = p_metric
        and xai_model_listed(m, p_owner, dataset_filter, version_filter, p_name, p_framework, p_tag)
        and (p_after_created is null
             or (p_desc and mm.value <= p_after_value
                 and (mm.value < p_after_value or (m.created_at, m.id) < (p_after_created, p_after_id)))
             or (not p_desc and mm.value >= p_after_value
                 and (mm.value > p_after_value or (m.created_at, m.id) < (p_after_created, p_after_id))))
      order by case when p_desc then mm.value end desc, case when not p_desc then mm.value end asc,
               m.created_at desc, m.id desc
      limit p_limit);
  end if;
  sort_values := array(
    select mm.value from unnest(ids) with ordinality i (id, n)
    join model_metrics mm on mm.model_id = i.id and mm.metric = p_metric order by i.n);
  if cardinality(ids) < p_limit then
    missing := array(
      select m.id from models m
      where xai_model_listed(m, p_owner, dataset_filter, version_filter, p_name, p_framework, p_tag)
        and not exists (select 1 from model_metrics mm where mm.model_id = m.id and mm.metric = p_metric)
        and (p_after_value is not null or p_after_created is null or (m.created_at, m.id) < (p_after_created, p_after_id))
      order by m.created_at desc, m.id desc
      limit p_limit - cardinality(ids));
    ids := ids || missing;
    sort_values := sort_values || array_fill(null::double precision, array[cardinality(missing)]);
  end if;
  return xai_model_records(ids, sort_values);
end $$;

-- Aliases naming the version go with it, each removal kept in its history.
create or replace function xai_delete_model(p_owner text, p_by text, p_id uuid, p_cascade boolean) returns jsonb
language plpgsql as $$
declare m models; n bigint; keys text[] := '{}'; a aliases;
begin
  m := xai_find_model(p_owner, p_id, true);
  select count(*) into n from explanations where model_id = m.id;
  if n > 0 and not coalesce(p_cascade, false) then
    perform xai_raise('model_in_use', format(
      'Model %s v%s has %s explanation(s); add ?cascade=true to delete them too.', m.name, m.version, n));
  end if;
  keys := xai_version_keys(array[m.id], array(select id from explanations where model_id = m.id));
  delete from explanations where model_id = m.id;
  for a in select * from aliases where dataset_id = m.dataset_id and model_name = m.name and version = m.version loop
    perform xai_remove_alias(a, p_by);
  end loop;
  delete from models where id = m.id;
  return jsonb_build_object('deletedKeys', to_jsonb(keys));
end $$;

-- Where a model came from and what explains it: the exact dataset version with its files, and
-- the model's ready explanations.
create or replace function xai_model_lineage(p_owner text, p_id uuid) returns jsonb
language plpgsql stable as $$
declare m models := xai_find_model(p_owner, p_id);
begin
  return jsonb_build_object(
    'model', jsonb_build_object('id', m.id, 'name', m.name, 'version', m.version),
    'dataset', xai_pinned_dataset_json(m.dataset_id, m.dataset_version) || jsonb_build_object('files', coalesce(
      (select jsonb_agg(xai_dataset_version_file_json(f) order by f.path collate "C")
       from xai_dataset_version_files(m.dataset_id, m.dataset_version) f), '[]'::jsonb)),
    'explanations', coalesce((select jsonb_agg(xai_explanation_json(e) order by e.created_at desc, e.id desc)
                              from explanations e where e.model_id = m.id and e.state = 'ready'), '[]'::jsonb));
end $$;
