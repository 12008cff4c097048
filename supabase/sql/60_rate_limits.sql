-- Rate limits shared by every replica on one database (src/rate-limits/).

-- Adds each key's count for the window and answers every key's total across all replicas
-- (a key added with 0 is only read). Windows older than the one before are deleted.
create or replace function xai_rate_limit_add(p_counts jsonb, p_window_start bigint, p_window_ms integer) returns jsonb
language plpgsql as $$
declare totals jsonb;
begin
  with added as (
    insert into rate_limit_counts as c (key, window_start, count)
    select e.key, p_window_start, e.value::integer from jsonb_each_text(p_counts) e
    on conflict (key, window_start) do update set count = c.count + excluded.count
    returning c.key, c.count
  )
  select coalesce(jsonb_object_agg(key, count), '{}'::jsonb) into totals from added;
  delete from rate_limit_counts where window_start < p_window_start - p_window_ms;
  return totals;
end $$;
