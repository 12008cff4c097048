-- What the reconciler needs: rows a crash left pending, and which object keys have rows.

-- As before, but a pending row that a live direct-upload session fills is not stale: it waits
-- for the client's parts (until the session expires) or for its verification.
create or replace function xai_stale_pending(p_before timestamptz, p_limit integer) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(jsonb_build_object('kind', kind, 'id', id, 'objectKey', object_key, 'createdAt', xai_ts(created_at))
                            order by created_at), '[]'::jsonb)
  from (
    select * from (
      select 'dataset_file' as kind, id, object_key, created_at from dataset_files where state = 'pending' and created_at < p_before
      union all
      select 'model', id, object_key, created_at from models where state = 'pending' and created_at < p_before
      union all
      select 'explanation', id, object_key, created_at from explanations where state = 'pending' and created_at < p_before
      union all
      select 'dataset', id, null, created_at from datasets where state = 'pending' and created_at < p_before
    ) pending
    where not exists (select 1 from upload_sessions s where s.row_id = pending.id and s.state in ('uploading', 'verifying'))
    order by created_at
    limit p_limit
  ) stale
$$;

-- Deletes one pending row if it is still pending and older than p_before; returns whether it did.
create or replace function xai_delete_stale_pending(p_kind text, p_id uuid, p_before timestamptz) returns jsonb
language plpgsql as $$
declare n integer;
begin
  case p_kind
    when 'dataset_file' then delete from dataset_files where id = p_id and state = 'pending' and created_at < p_before;
    when 'model' then delete from models where id = p_id and state = 'pending' and created_at < p_before;
    when 'explanation' then delete from explanations where id = p_id and state = 'pending' and created_at < p_before;
    when 'dataset' then delete from datasets where id = p_id and state = 'pending' and created_at < p_before;
    else perform xai_raise('validation_failed', format('Unknown kind %s.', p_kind));
  end case;
  get diagnostics n = row_count;
  return to_jsonb(n > 0);
end $$;

-- Of the given object keys, those that some row (pending or ready) points at.
create or replace function xai_keys_with_rows(p_keys jsonb) returns jsonb
language sql stable as $$
  with wanted as (select jsonb_array_elements_text(p_keys) as key)
  select coalesce(jsonb_agg(w.key), '[]'::jsonb) from wanted w
  where exists (select 1 from dataset_files f where f.object_key = w.key)
     or exists (select 1 from models m where m.object_key = w.key)
     or exists (select 1 from explanations e where e.object_key = w.key)
$$;

-- A page of ready rows' object keys in key order (to find rows whose object is missing).
create or replace function xai_ready_keys(p_after text, p_limit integer) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(jsonb_build_object('kind', kind, 'id', id, 'objectKey', object_key) order by object_key), '[]'::jsonb)
  from (
    select * from (
      select 'dataset_file' as kind, id, object_key from dataset_files where state = 'ready'
      union all select 'model', id, object_key from models where state = 'ready'
      union all select 'explanation', id, object_key from explanations where state = 'ready'
    ) rows
    where p_after is null or object_key > p_after
    order by object_key
    limit p_limit
  ) page
$$;
