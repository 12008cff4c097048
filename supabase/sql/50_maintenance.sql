-- What the reconciler needs: rows a crash left pending, and which object keys have rows.

-- Rows a crash left pending: files (with their objects), and datasets, models and explanations
-- (whose files carry the keys). A pending row that a live direct-upload session fills is not
-- stale: it waits for the client's parts (until the session expires) or for its verification.
create or replace function xai_stale_pending(p_before timestamptz, p_limit integer) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(jsonb_build_object('kind', kind, 'id', id, 'objectKey', object_key, 'createdAt', xai_ts(created_at))
                            order by created_at), '[]'::jsonb)
  from (
    select * from (
      select 'file' as kind, id, object_key, created_at from files where state = 'pending' and created_at < p_before
      union all
      select 'model', id, null, created_at from models where state = 'pending' and created_at < p_before
      union all
      select 'explanation', id, null, created_at from explanations where state = 'pending' and created_at < p_before
      union all
      select 'dataset', id, null, created_at from datasets where state = 'pending' and created_at < p_before
    ) pending
    where not exists (select 1 from upload_sessions s
                      where pending.id in (s.row_id, s.artifact_id) and s.state in ('uploading', 'verifying'))
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
    when 'file' then delete from files where id = p_id and state = 'pending' and created_at < p_before;
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
  where exists (select 1 from files f where f.object_key = w.key)
$$;

-- A page of ready rows' object keys in key order (to find rows whose object is missing).
create or replace function xai_ready_keys(p_after text, p_limit integer) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(jsonb_build_object('kind', 'file', 'id', id, 'objectKey', object_key) order by object_key), '[]'::jsonb)
  from (
    select id, object_key from files
    where state = 'ready' and (p_after is null or object_key > p_after)
    order by object_key
    limit p_limit
  ) page
$$;
