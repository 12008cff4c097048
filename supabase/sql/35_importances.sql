-- Explanations as data: feature importances recorded as rows when an explanation becomes ready,
-- read chart-ready, compared across the versions of one model, and used as list filters.

-- Columns of a SHAP matrix that are not features (the contract of the upload).
create or replace function xai_is_matrix_extra(p_column text) returns boolean
language sql immutable as $$ select p_column in ('base_value', 'prediction') $$;

-- The names of a .npy matrix's columns (positions in the file): the explanation's features, else
-- the columns of the one file of the dataset version explained that has as many; else null.
create or replace function xai_npy_feature_names(e explanations, p_columns integer) returns jsonb
language plpgsql stable as $$
declare candidates jsonb; names jsonb;
begin
  if jsonb_typeof(e.features) = 'array' and jsonb_array_length(e.features) = p_columns then return e.features; end if;
  select coalesce(jsonb_agg(candidate.cols), '[]'::jsonb) into candidates from (
    select f.profile -> 'profile' -> 'columns' as cols from xai_dataset_version_files(e.dataset_id, e.dataset_version) f
    where (f.profile -> 'profile' ->> 'columnCount')::integer = p_columns
      and coalesce((f.profile -> 'profile' ->> 'untrackedColumns')::integer, 0) = 0
    limit 2) candidate;
  if jsonb_array_length(candidates) <> 1 then return null; end if;
  select jsonb_agg(c -> 'name' order by o) into names from jsonb_array_elements(candidates -> 0) with ordinality t(c, o);
  return names;
end $$;

-- Records an explanation's importances: from its first file (by path: CSV, TSV, Parquet) whose profile is
-- a matrix (every column but base_value and prediction numeric: importance = mean |value|),
-- else from its summary (feature -> number: the numbers are the importances), else none, with
-- the reason. Ranks: 1 = most important (ties by feature name).
create or replace function xai_record_importances(p_explanation uuid) returns void
language plpgsql as $$
declare
  e explanations;
  matrix files;
  mcols jsonb;  -- the matrix's columns (not "columns" or "profile": files has columns of those names)
  mp jsonb;     -- its profile
  not_numeric text;
  why text;
  names jsonb;
begin
  select * into e from explanations where id = p_explanation;
  delete from explanation_importances where explanation_id = p_explanation;
  for matrix in
    select * from files f
    where f.explanation_id = p_explanation and f.profile -> 'profile' is not null
      and jsonb_typeof(f.profile -> 'profile') = 'object'
    order by f.path collate "C"
  loop
    mp := matrix.profile -> 'profile';
    mcols := coalesce(mp -> 'columns', '[]'::jsonb);
    if mp ->> 'format' = 'npy' then
      -- A .npy matrix's columns are positions: named by the explanation's features, else by the
      -- columns of the one file of the dataset version explained that has as many.
      names := xai_npy_feature_names(e, (mp ->> 'columnCount')::integer);
      if names is null then
        why := format('%s has %s columns and nothing names them: send features (a JSON array or names separated by commas), '
          'or explain a dataset version with exactly one file of as many columns.', matrix.path, mp ->> 'columnCount');
        continue;
      end if;
      select jsonb_agg(c || jsonb_build_object('name', names -> (o - 1)::integer) order by o) into mcols
      from jsonb_array_elements(mcols) with ordinality t(c, o);
    end if;
    select c ->> 'name' into not_numeric from jsonb_array_elements(mcols) c
      where not xai_is_matrix_extra(c ->> 'name') and c ->> 'type' not in ('integer', 'number') limit 1;
    if not_numeric is not null then
      why := format('%s is not a SHAP matrix: column %s is not numeric.', matrix.path, not_numeric);
      continue;
    end if;
    insert into explanation_importances (explanation_id, feature, importance, mean, min, max, rank)
    select p_explanation, c ->> 'name', (c ->> 'meanAbs')::double precision, (c ->> 'mean')::double precision,
      (c ->> 'min')::double precision, (c ->> 'max')::double precision,
      row_number() over (order by (c ->> 'meanAbs')::double precision desc, c ->> 'name' collate "C")
    from jsonb_array_elements(mcols) c
    where not xai_is_matrix_extra(c ->> 'name') and c ->> 'meanAbs' is not null;
    if found then
      update explanations set importances = jsonb_build_object(
        'source', 'matrix', 'file', matrix.path, 'rows', mp -> 'rows',
        'profiledRows', coalesce(mp -> 'profiledRows', mp -> 'rows'),
        'untracked', coalesce((mp ->> 'untrackedColumns')::integer, 0),
        'hasBaseValue', exists (select 1 from jsonb_array_elements(mcols) c where c ->> 'name' = 'base_value'),
        'hasPrediction', exists (select 1 from jsonb_array_elements(mcols) c where c ->> 'name' = 'prediction'))
      where id = p_explanation;
      return;
    end if;
    why := format('%s has no numeric feature column.', matrix.path);
  end loop;
  if jsonb_typeof(e.summary::jsonb) = 'object' then
    insert into explanation_importances (explanation_id, feature, importance, rank)
    select p_explanation, s.key, s.value::text::double precision,
      row_number() over (order by s.value::text::double precision desc, s.key collate "C")
    from jsonb_each(e.summary::jsonb) s
    where jsonb_typeof(s.value) = 'number';
    if found then
      update explanations set importances = jsonb_build_object('source', 'summary') where id = p_explanation;
      return;
    end if;
  end if;
  -- A matrix file that could not be read as one says why (its profile record's reason).
  if why is null then
    select format('%s: %s', f.path, f.profile ->> 'reason') into why from files f
    where f.explanation_id = p_explanation and f.profile ->> 'reason' is not null
    order by f.path collate "C" limit 1;
  end if;
  update explanations set importances = jsonb_build_object('source', null, 'reason', coalesce(why,
    'No SHAP matrix (a CSV, TSV, Parquet or .npy file with a numeric column per feature) and no summary of numbers.'))
  where id = p_explanation;
end $$;

create or replace function xai_importance_json(i explanation_importances, p_with_stats boolean) returns jsonb
language sql immutable as $$
  select jsonb_build_object('feature', i.feature, 'importance', i.importance, 'rank', i.rank)
    || case when p_with_stats then jsonb_build_object('mean', i.mean, 'min', i.min, 'max', i.max) else '{}'::jsonb end
$$;

-- GET /explanations/{id}/importances?top=N: the N most important features, chart-ready.
create or replace function xai_explanation_importances(p_owner text, p_id uuid, p_top integer) returns jsonb
language plpgsql stable as $$
declare e explanations;
begin
  e := xai_find_explanation(p_owner, p_id);
  return jsonb_build_object(
    'explanationId', e.id, 'method', e.method,
    'model', (select jsonb_build_object('id', m.id, 'name', m.name, 'version', m.version) from models m where m.id = e.model_id),
    'dataset', xai_pinned_dataset_json(e.dataset_id, e.dataset_version),
    'source', e.importances -> 'source', 'reason', e.importances -> 'reason',
    'rows', e.importances -> 'rows', 'profiledRows', e.importances -> 'profiledRows',
    'features', (select count(*) from explanation_importances where explanation_id = e.id),
    'untracked', coalesce((e.importances ->> 'untracked')::integer, 0),
    'items', coalesce((select jsonb_agg(xai_importance_json(i, true) order by i.rank)
                       from explanation_importances i where i.explanation_id = e.id and i.rank <= p_top), '[]'::jsonb));
end $$;

-- GET /datasets/{d}/models/{name}/importances?method=shap&top=N: for every version of the model
-- (oldest first) its newest ready explanation by that method with importances, and for the
-- features in any version's top N each one's importance and rank there, with the change of
-- rank from the version before (positive: it moved up; null: not ranked in one of the two).
create or replace function xai_compare_importances(p_owner text, p_dataset_ref text, p_name text, p_method text, p_top integer)
returns jsonb language plpgsql stable as $$
declare d datasets;
begin
  d := xai_find_dataset(p_owner, p_dataset_ref);
  return (
    with versions as (
      select m.id as model_id, m.version, e.id as explanation_id, e.created_at as explained_at
      from models m
      cross join lateral (
        select x.id, x.created_at from explanations x
        where x.model_id = m.id and x.state = 'ready' and x.method = p_method
          and exists (select 1 from explanation_importances i where i.explanation_id = x.id)
        order by x.created_at desc, x.id desc limit 1) e
      where m.dataset_id = d.id and m.name = p_name and m.state = 'ready' and xai_can_see(m.owner_id, p_owner)),
    charted as (
      select distinct i.feature from explanation_importances i join versions v on v.explanation_id = i.explanation_id
      where i.rank <= p_top),
    cells as (
      select v.version, c.feature, i.importance, i.rank,
        lag(i.rank) over (partition by c.feature order by v.version) as previous_rank
      from versions v cross join charted c
      left join explanation_importances i on i.explanation_id = v.explanation_id and i.feature = c.feature)
    select jsonb_build_object(
      'dataset', jsonb_build_object('id', d.id, 'name', d.name), 'model', p_name, 'method', p_method,
      'features', coalesce((select jsonb_agg(feature order by feature collate "C") from charted), '[]'::jsonb),
      'versions', coalesce((
        select jsonb_agg(jsonb_build_object(
          'version', v.version, 'modelId', v.model_id, 'explanationId', v.explanation_id,
          'items', coalesce((
            select jsonb_agg(jsonb_build_object('feature', c.feature, 'importance', c.importance, 'rank', c.rank,
              'rankChange', c.previous_rank - c.rank) order by c.rank nulls last, c.feature collate "C")
            from cells c where c.version = v.version), '[]'::jsonb)) order by v.version)
        from versions v), '[]'::jsonb)));
end $$;
