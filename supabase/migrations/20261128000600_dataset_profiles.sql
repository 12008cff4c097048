-- Dataset profiles: computed once per file while its bytes stream (CSV, TSV, JSON lines) or
-- from its footer (Parquet), set on the pending row before it becomes ready, so the upload's
-- answer already shows it. `profile` is the full record ({profile, reason}); `profile_summary`
-- the short form each file shows in GET /datasets/{d} (made by the API, stored as given).

alter table dataset_files add column if not exists profile jsonb;
alter table dataset_files add column if not exists profile_summary jsonb;

create or replace function xai_file_json(f dataset_files) returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'id', f.id, 'datasetId', f.dataset_id, 'path', f.path, 'size', f.size, 'sha256', f.sha256,
    'contentType', f.content_type, 'etag', f.etag, 'state', f.state, 'objectKey', f.object_key,
    'createdAt', xai_ts(f.created_at), 'updatedAt', xai_ts(f.updated_at),
    'profile', coalesce(f.profile_summary,
      jsonb_build_object('status', 'none', 'format', null, 'rows', null, 'columns', null, 'reason', 'Not profiled.')))
$$;

-- Sets a file's profile while its upload is pending (the finalize that follows makes it visible).
create or replace function xai_set_dataset_file_profile(p_owner text, p_file_id uuid, p_profile jsonb, p_summary jsonb)
returns void language plpgsql as $$
begin
  update dataset_files set profile = p_profile, profile_summary = p_summary
  where id = p_file_id and state = 'pending' and xai_can_see(owner_id, p_owner);
  if not found then
    perform xai_raise('upload_cancelled', 'The file was removed while its upload was in progress.');
  end if;
end $$;

create or replace function xai_get_dataset_file_profile(p_owner text, p_ref text, p_file_id uuid) returns jsonb
language plpgsql stable as $$
declare d datasets; f dataset_files;
begin
  d := xai_find_dataset(p_owner, p_ref);
  select * into f from dataset_files where id = p_file_id and dataset_id = d.id and state = 'ready';
  if f.id is null then perform xai_raise('file_not_found', format('Dataset %s has no file %s.', d.name, p_file_id)); end if;
  return coalesce(f.profile, jsonb_build_object('profile', null, 'reason', 'Not profiled (uploaded before profiles existed).'));
end $$;

do $$
begin
  if exists (select 1 from pg_roles where rolname = 'anon') then
    execute 'revoke execute on all functions in schema public from anon, authenticated, public';
  end if;
end $$;
