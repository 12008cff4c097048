-- Aliases with history: a name for a dataset version (p_model_name null, stored as '') or for
-- a model version of (dataset, model name). Every set, move and removal is an event; moves of
-- one alias are serialized by a transaction lock on it, so concurrent moves are all recorded,
-- in the order they took effect, and the alias ends on the last.

create or replace function xai_alias_json(a aliases) returns jsonb
language sql stable as $$
  select jsonb_build_object('alias', a.alias, 'version', a.version, 'updatedAt', xai_ts(a.updated_at), 'updatedBy', a.updated_by)
  || case when a.model_name = '' then
       jsonb_build_object('digest', (select v.digest from dataset_versions v where v.dataset_id = a.dataset_id and v.version = a.version))
     else
       jsonb_build_object('modelId', (select m.id from models m
                                      where m.dataset_id = a.dataset_id and m.name = a.model_name and m.version = a.version))
     end
$$;

-- The ready dataset an alias belongs to (the caller's), its alias name checked.
create or replace function xai_alias_dataset(p_owner text, p_dataset_ref text, p_alias text) returns datasets
language plpgsql stable as $$
declare d datasets := xai_find_dataset(p_owner, p_dataset_ref);
begin
  if p_alias !~ '^[a-z][a-z0-9_-]{0,63}$' or p_alias = 'latest' then
    perform xai_raise('invalid_alias',
      'An alias is 1-64 lowercase letters, digits, - or _, starting with a letter; latest is reserved.');
  end if;
  if d.state <> 'ready' then perform xai_raise('dataset_not_found', format('No dataset %s.', p_dataset_ref)); end if;
  return d;
end $$;

-- Waits for any other move of this alias to commit (a transaction lock on its name).
create or replace function xai_lock_alias(p_dataset uuid, p_model_name text, p_alias text) returns void
language sql as $$
  select pg_advisory_xact_lock(hashtextextended(p_dataset::text || '/' || p_model_name || '/' || p_alias, 0))
$$;

-- Deletes an alias row and records the removal.
create or replace function xai_remove_alias(a aliases, p_by text) returns void
language sql as $$
  delete from aliases where dataset_id = a.dataset_id and model_name = a.model_name and alias = a.alias;
  insert into alias_events (dataset_id, model_name, alias, version, previous_version, by, at)
  values (a.dataset_id, a.model_name, a.alias, null, a.version, p_by, clock_timestamp());
$$;

create or replace function xai_set_alias(
  p_owner text, p_by text, p_dataset_ref text, p_model_name text, p_alias text, p_version integer
) returns jsonb language plpgsql as $$
declare d datasets := xai_alias_dataset(p_owner, p_dataset_ref, p_alias); scope text := coalesce(p_model_name, '');
        a aliases; previous integer;
begin
  perform xai_lock_alias(d.id, scope, p_alias);
  if scope = '' then
    perform 1 from dataset_versions where dataset_id = d.id and version = p_version;
    if not found then
      perform xai_raise('dataset_version_not_found', format('Dataset %s has no version %s.', d.name, p_version));
    end if;
  else
    -- Share lock: the version cannot be deleted while the alias is set to it.
    perform 1 from models where dataset_id = d.id and name = scope and version = p_version and state = 'ready' for share;
    if not found then
      perform xai_raise('model_not_found', format('Dataset %s has no ready version %s of model %s.', d.name, p_version, scope));
    end if;
  end if;
  select version into previous from aliases where dataset_id = d.id and model_name = scope and alias = p_alias;
  if previous is distinct from p_version then
    insert into aliases (dataset_id, model_name, alias, version, updated_by, updated_at)
    values (d.id, scope, p_alias, p_version, p_by, clock_timestamp())
    on conflict (dataset_id, model_name, alias)
      do update set version = excluded.version, updated_by = excluded.updated_by, updated_at = excluded.updated_at;
    insert into alias_events (dataset_id, model_name, alias, version, previous_version, by, at)
    values (d.id, scope, p_alias, p_version, previous, p_by, clock_timestamp());
  end if;
  select * into a from aliases where dataset_id = d.id and model_name = scope and alias = p_alias;
  return xai_alias_json(a);
end $$;

create or replace function xai_find_alias(p_owner text, p_dataset_ref text, p_model_name text, p_alias text) returns aliases
language plpgsql stable as $$
declare d datasets := xai_alias_dataset(p_owner, p_dataset_ref, p_alias); a aliases;
begin
  select * into a from aliases where dataset_id = d.id and model_name = coalesce(p_model_name, '') and alias = p_alias;
  if a.alias is null then
    perform xai_raise('alias_not_found', format('No alias %s%s on dataset %s.', p_alias,
      coalesce(' of model ' || p_model_name, ''), d.name));
  end if;
  return a;
end $$;

create or replace function xai_get_alias(p_owner text, p_dataset_ref text, p_model_name text, p_alias text) returns jsonb
language plpgsql stable as $$
begin
  return xai_alias_json(xai_find_alias(p_owner, p_dataset_ref, p_model_name, p_alias));
end $$;

create or replace function xai_delete_alias(p_owner text, p_by text, p_dataset_ref text, p_model_name text, p_alias text)
returns void language plpgsql as $$
declare d datasets := xai_alias_dataset(p_owner, p_dataset_ref, p_alias); a aliases;
begin
  perform xai_lock_alias(d.id, coalesce(p_model_name, ''), p_alias);
  a := xai_find_alias(p_owner, p_dataset_ref, p_model_name, p_alias);
  perform xai_remove_alias(a, p_by);
end $$;

-- Keyset page of an alias's events, newest first (below event p_after_id); p_at: only those at
-- or before that instant, so the first item is what the alias named then.
create or replace function xai_alias_history(
  p_owner text, p_dataset_ref text, p_model_name text, p_alias text, p_limit integer, p_after_id bigint, p_at timestamptz
) returns jsonb language plpgsql stable as $$
declare d datasets := xai_alias_dataset(p_owner, p_dataset_ref, p_alias); scope text := coalesce(p_model_name, '');
begin
  if not exists (select 1 from alias_events where dataset_id = d.id and model_name = scope and alias = p_alias) then
    perform xai_raise('alias_not_found', format('No alias %s%s on dataset %s, now or before.', p_alias,
      coalesce(' of model ' || p_model_name, ''), d.name));
  end if;
  return (
    select coalesce(jsonb_agg(jsonb_build_object('id', e.id, 'version', e.version, 'previousVersion', e.previous_version,
                                                 'by', e.by, 'at', xai_ts(e.at)) order by e.id desc), '[]'::jsonb)
    from (select * from alias_events
          where dataset_id = d.id and model_name = scope and alias = p_alias
            and (p_after_id is null or id < p_after_id) and (p_at is null or at <= p_at)
          order by id desc limit p_limit) e);
end $$;
