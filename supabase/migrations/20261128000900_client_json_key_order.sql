-- The free-form JSON a client sends (a model's metrics and params, an explanation's params and
-- summary) comes back with its keys in the order sent. jsonb stores keys its own way (shorter
-- keys first, then bytewise), so a SHAP summary listed by importance came back alphabetical.
-- `json` keeps the text as sent, so:
--   * these four columns become json (reads with ->> work alike: the metric sort is unchanged);
--   * the functions that write them take json (a jsonb parameter would reorder on the way in);
--   * records carry them as their JSON text, because a json value placed in a jsonb record is
--     reordered too; the TypeScript records layer parses that text (src/metadata/client-json.ts).
-- Parameter names stay, so a caller naming its arguments (every adapter does) reaches the new
-- functions unchanged, an instance still running the previous release included.

alter table models
  alter column metrics type json using metrics::json,
  alter column params type json using params::json;
alter table explanations
  alter column params type json using params::json,
  alter column summary type json using summary::json;

create or replace function xai_model_json(m models) returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'id', m.id, 'ownerId', m.owner_id, 'name', m.name, 'version', m.version,
    'framework', m.framework, 'format', m.format, 'safeToLoad', m.safe_to_load,
    'metrics', m.metrics::text, 'params', m.params::text, 'description', m.description, 'tags', to_jsonb(m.tags),
    'filename', m.filename, 'size', m.size, 'sha256', m.sha256, 'contentType', m.content_type,
    'etag', m.etag, 'state', m.state, 'objectKey', m.object_key,
    'createdAt', xai_ts(m.created_at), 'updatedAt', xai_ts(m.updated_at),
    'dataset', (select jsonb_build_object('id', d.id, 'name', d.name) from datasets d where d.id = m.dataset_id),
    'dependants', jsonb_build_object('explanations', (select count(*) from explanations e where e.model_id = m.id)))
$$;

create or replace function xai_explanation_json(e explanations) returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'id', e.id, 'ownerId', e.owner_id, 'method', e.method, 'params', e.params::text, 'summary', e.summary::text,
    'description', e.description, 'tags', to_jsonb(e.tags), 'filename', e.filename, 'size', e.size,
    'sha256', e.sha256, 'contentType', e.content_type, 'etag', e.etag, 'state', e.state,
    'objectKey', e.object_key, 'createdAt', xai_ts(e.created_at), 'updatedAt', xai_ts(e.updated_at),
    'model', (select jsonb_build_object('id', m.id, 'name', m.name, 'version', m.version) from models m where m.id = e.model_id),
    'dataset', (select jsonb_build_object('id', d.id, 'name', d.name) from datasets d where d.id = e.dataset_id))
$$;

drop function xai_reserve_model(text, uuid, uuid, text, text, text, boolean, jsonb, jsonb, text, jsonb, text, text);
-- Reserves the next version of (dataset, name). The dataset row is locked, so concurrent
-- uploads of one name get consecutive versions.
create function xai_reserve_model(
  p_owner text, p_id uuid, p_dataset_id uuid, p_name text, p_framework text, p_format text,
  p_safe_to_load boolean, p_metrics json, p_params json, p_description text, p_tags jsonb,
  p_filename text, p_content_type text
) returns jsonb language plpgsql as $$
declare d datasets; v integer; m models;
begin
  select * into d from datasets where id = p_dataset_id and xai_can_see(owner_id, p_owner) and state = 'ready' for update;
  if d.id is null then perform xai_raise('dataset_not_found', format('No dataset %s.', p_dataset_id)); end if;
  select coalesce(max(version), 0) + 1 into v from models where dataset_id = d.id and name = p_name;
  insert into models (id, owner_id, dataset_id, name, version, framework, format, safe_to_load, metrics, params,
                      description, tags, filename, object_key, content_type, state)
  values (p_id, d.owner_id, d.id, p_name, v, coalesce(p_framework, 'other'), p_format, p_safe_to_load,
          coalesce(p_metrics, '{}'), coalesce(p_params, '{}'), p_description, xai_text_array(p_tags),
          p_filename, xai_model_key(d.name, p_name, v, p_id, p_filename), p_content_type, 'pending')
  returning * into m;
  return xai_model_json(m);
end $$;

drop function xai_reserve_explanation(text, uuid, uuid, text, jsonb, jsonb, text, jsonb, text, text);
create function xai_reserve_explanation(
  p_owner text, p_id uuid, p_model_id uuid, p_method text, p_params json, p_summary json,
  p_description text, p_tags jsonb, p_filename text, p_content_type text
) returns jsonb language plpgsql as $$
declare m models; e explanations; dataset_name text;
begin
  -- Share lock: the model cannot be deleted between this check and the insert.
  select * into m from models where id = p_model_id and xai_can_see(owner_id, p_owner) for share;
  if m.id is null then perform xai_raise('model_not_found', format('No model %s.', p_model_id)); end if;
  if m.state <> 'ready' then
    perform xai_raise('model_not_ready', format('Model %s is still uploading; explain it once it is ready.', p_model_id));
  end if;
  select name into dataset_name from datasets where id = m.dataset_id;
  insert into explanations (id, owner_id, model_id, dataset_id, method, params, summary, description, tags,
                            filename, object_key, content_type, state)
  values (p_id, m.owner_id, m.id, m.dataset_id, p_method, coalesce(p_params, '{}'), coalesce(p_summary, '{}'),
          p_description, xai_text_array(p_tags), p_filename,
          xai_explanation_key(dataset_name, m.name, m.version, p_method, p_id, p_filename), p_content_type, 'pending')
  returning * into e;
  return xai_explanation_json(e);
end $$;

-- Patches arrive as json for the same reason; `has` tests a key (json has no `?` operator).
create or replace function xai_json_has(p json, p_key text) returns boolean
language sql immutable as $$ select p::jsonb ? p_key $$;

drop function xai_update_model(text, uuid, jsonb);
create function xai_update_model(p_owner text, p_id uuid, p_patch json) returns jsonb
language plpgsql as $$
declare m models;
begin
  m := xai_find_model(p_owner, p_id, true);
  update models set
    description = case when xai_json_has(p_patch, 'description') then p_patch ->> 'description' else description end,
    tags = case when xai_json_has(p_patch, 'tags') then xai_text_array((p_patch -> 'tags')::jsonb) else tags end,
    metrics = case when xai_json_has(p_patch, 'metrics') then p_patch -> 'metrics' else metrics end,
    params = case when xai_json_has(p_patch, 'params') then p_patch -> 'params' else params end,
    updated_at = clock_timestamp()
  where id = m.id returning * into m;
  return xai_model_detail_json(m);
end $$;

drop function xai_update_explanation(text, uuid, jsonb);
create function xai_update_explanation(p_owner text, p_id uuid, p_patch json) returns jsonb
language plpgsql as $$
declare e explanations;
begin
  e := xai_find_explanation(p_owner, p_id, true);
  update explanations set
    description = case when xai_json_has(p_patch, 'description') then p_patch ->> 'description' else description end,
    tags = case when xai_json_has(p_patch, 'tags') then xai_text_array((p_patch -> 'tags')::jsonb) else tags end,
    summary = case when xai_json_has(p_patch, 'summary') then p_patch -> 'summary' else summary end,
    params = case when xai_json_has(p_patch, 'params') then p_patch -> 'params' else params end,
    updated_at = clock_timestamp()
  where id = e.id returning * into e;
  return xai_explanation_json(e);
end $$;

drop function xai_patch_pending_model(text, uuid, jsonb);
create function xai_patch_pending_model(p_owner text, p_id uuid, p_patch json) returns void
language plpgsql as $$
begin
  update models set
    framework = case when xai_json_has(p_patch, 'framework') then p_patch ->> 'framework' else framework end,
    description = case when xai_json_has(p_patch, 'description') then p_patch ->> 'description' else description end,
    tags = case when xai_json_has(p_patch, 'tags') then xai_text_array((p_patch -> 'tags')::jsonb) else tags end,
    metrics = case when xai_json_has(p_patch, 'metrics') then p_patch -> 'metrics' else metrics end,
    params = case when xai_json_has(p_patch, 'params') then p_patch -> 'params' else params end
  where id = p_id and state = 'pending' and xai_can_see(owner_id, p_owner);
  if not found then perform xai_raise('upload_cancelled', 'The model was removed while its upload was in progress.'); end if;
end $$;

drop function xai_patch_pending_explanation(text, uuid, jsonb);
create function xai_patch_pending_explanation(p_owner text, p_id uuid, p_patch json) returns void
language plpgsql as $$
begin
  update explanations set
    description = case when xai_json_has(p_patch, 'description') then p_patch ->> 'description' else description end,
    tags = case when xai_json_has(p_patch, 'tags') then xai_text_array((p_patch -> 'tags')::jsonb) else tags end,
    summary = case when xai_json_has(p_patch, 'summary') then p_patch -> 'summary' else summary end,
    params = case when xai_json_has(p_patch, 'params') then p_patch -> 'params' else params end
  where id = p_id and state = 'pending' and xai_can_see(owner_id, p_owner);
  if not found then perform xai_raise('upload_cancelled', 'The explanation was removed while its upload was in progress.'); end if;
end $$;

-- Through Supabase only the service role may call these functions.
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'anon') then
    execute 'revoke execute on all functions in schema public from anon, authenticated, public';
  end if;
end $$;
