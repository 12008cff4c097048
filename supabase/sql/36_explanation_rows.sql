-- One row's explanation beside its data: where the core reads an explanation's rows from (its
-- SHAP matrix file, the file its importances came from) and, when asked, the dataset file whose
-- rows they are: the one named at upload (datasetFile), else the one file of the dataset version
-- explained with as many rows. The bytes themselves are read with Range requests
-- (src/explanations/explanation-rows.ts).

create or replace function xai_row_file_json(f files) returns jsonb
language sql immutable as $$
  select jsonb_build_object('id', f.id, 'path', f.path, 'objectKey', f.object_key, 'size', f.size,
    'rows', (f.profile -> 'profile' ->> 'rows')::bigint, 'rowIndex', f.row_index)
$$;

create or replace function xai_explanation_rows_source(p_owner text, p_id uuid, p_with_data boolean) returns jsonb
language plpgsql stable as $$
declare
  e explanations;
  m files;
  d files;
  matrix_rows bigint;
  names jsonb;
  why text;
  matching text[];
begin
  e := xai_find_explanation(p_owner, p_id);
  if e.importances ->> 'source' is distinct from 'matrix' then
    return jsonb_build_object('matrix', null, 'reason', coalesce(
      case when e.importances ->> 'source' = 'summary' then 'Its importances come from its summary: it has no SHAP matrix file.'
           else e.importances ->> 'reason' end,
      'It has no SHAP matrix file.'));
  end if;
  select * into m from files where explanation_id = e.id and path = e.importances ->> 'file';
  matrix_rows := (m.profile -> 'profile' ->> 'rows')::bigint;
  if m.profile -> 'profile' ->> 'format' = 'npy' then
    names := xai_npy_feature_names(e, (m.profile -> 'profile' ->> 'columnCount')::integer);
  end if;
  if p_with_data then
    if e.dataset_file is not null then
      select * into d from xai_dataset_version_files(e.dataset_id, e.dataset_version) f where f.path = e.dataset_file;
    else
      select array_agg(f.path order by f.path collate "C") into matching
      from xai_dataset_version_files(e.dataset_id, e.dataset_version) f
      where (f.profile -> 'profile' ->> 'rows')::bigint = matrix_rows;
      if coalesce(array_length(matching, 1), 0) = 1 then
        select * into d from xai_dataset_version_files(e.dataset_id, e.dataset_version) f where f.path = matching[1];
      elsif matching is null then
        why := format('No file of the dataset version explained has %s rows, as the SHAP matrix has; '
          'name the file with datasetFile when uploading the explanation.', matrix_rows);
      else
        why := format('%s files of the dataset version explained have %s rows (%s); name the one explained with datasetFile '
          'when uploading the explanation.', array_length(matching, 1), matrix_rows, array_to_string(matching[1:5], ', '));
      end if;
    end if;
  end if;
  return jsonb_build_object('matrix', xai_row_file_json(m), 'names', names,
    'data', case when d.id is null then null else xai_row_file_json(d) end, 'dataReason', why);
end $$;
