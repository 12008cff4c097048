-- Rate limits shared by every replica on one database. Each process counts its callers'
-- requests itself and adds them here every few hundred milliseconds (src/rate-limits/), in
-- fixed windows aligned to the epoch (window_start, in milliseconds), so N replicas enforce one
-- limit per caller, not N. Unlogged: counts are worth nothing after a crash, and skipping the
-- write-ahead log keeps the upserts cheap.

create unlogged table if not exists rate_limit_counts (
  key          text not null,
  window_start bigint not null,
  count        integer not null,
  primary key (key, window_start)
);
alter table rate_limit_counts enable row level security;

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

do $$
begin
  if exists (select 1 from pg_roles where rolname = 'anon') then
    execute 'revoke execute on all functions in schema public from anon, authenticated, public';
  end if;
end $$;
