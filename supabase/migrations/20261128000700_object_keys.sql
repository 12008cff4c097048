-- Object keys are built here and only here, in the transaction that reserves the row: from
-- validated names and the row's own id (an overwrite or a retry never writes to a key used
-- before), with the version and the names the reservation resolves. Callers no longer pass a
-- key or a template; they read the key back from the reserved row.

create or replace function xai_dataset_file_key(p_dataset text, p_id uuid, p_path text) returns text
language sql immutable as $$ select 'datasets/' || p_dataset || '/' || p_id || '/' || p_path $$;

create or replace function xai_model_key(p_dataset text, p_name text, p_version integer, p_id uuid, p_filename text)
returns text language sql immutable as $$
  select 'models/' || p_dataset || '/' || p_name || '/v' || p_version || '-' || p_id || '/' || p_filename
$$;

create or replace function xai_explanation_key(
  p_dataset text, p_model text, p_model_version integer, p_method text, p_id uuid, p_filename text
) returns text language sql immutable as $$
  select 'explanations/' || p_dataset || '/' || p_model || '-v' || p_model_version || '/' || p_method || '/' || p_id
         || '/' || p_filename
$$;

drop function xai_reserve_dataset_file(text, uuid, uuid, uuid, text, text, text, boolean);
create function xai_reserve_dataset_file(
  p_owner text, p_dataset_id uuid, p_batch uuid, p_id uuid, p_path text, p_content_type text, p_overwrite boolean
) returns jsonb language plpgsql as $$
declare d datasets; existing dataset_files; f dataset_files;
begin
  d := xai_find_dataset(p_owner, p_dataset_id::text, true);
  if d.state = 'pending' and d.batch_id is distinct from p_batch then
    perform xai_raise('dataset_not_found', format('No dataset %s.', p_dataset_id));
  end if;
  select * into existing from dataset_files where dataset_id = d.id and path = p_path and state = 'ready';
  if existing.id is not null and not coalesce(p_overwrite, false) then
    perform xai_raise('file_exists', format('The dataset already has a file at %s; add ?overwrite=true to replace it.', p_path));
  end if;
  insert into dataset_files (id, dataset_id, owner_id, path, object_key, content_type, state, batch_id, replaces)
  values (p_id, d.id, d.owner_id, p_path, xai_dataset_file_key(d.name, p_id, p_path), p_content_type, 'pending', p_batch,
          existing.id)
  returning * into f;
  return xai_file_json(f);
exception when unique_violation then
  perform xai_raise('upload_in_progress', format('Another upload to %s is in progress.', p_path));
end $$;

drop function xai_reserve_model(text, uuid, uuid, text, text, text, boolean, jsonb, jsonb, text, jsonb, text, text, text);
-- Reserves the next version of (dataset, name). The dataset row is locked, so concurrent
-- uploads of one name get consecutive versions.
create function xai_reserve_model(
  p_owner text, p_id uuid, p_dataset_id uuid, p_name text, p_framework text, p_format text,
  p_safe_to_load boolean, p_metrics jsonb, p_params jsonb, p_description text, p_tags jsonb,
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

drop function xai_reserve_explanation(text, uuid, uuid, text, jsonb, jsonb, text, jsonb, text, text, text);
create function xai_reserve_explanation(
  p_owner text, p_id uuid, p_model_id uuid, p_method text, p_params jsonb, p_summary jsonb,
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

do $$
begin
  if exists (select 1 from pg_roles where rolname = 'anon') then
    execute 'revoke execute on all functions in schema public from anon, authenticated, public';
  end if;
end $$;
