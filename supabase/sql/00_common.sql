-- Helpers every other file uses: errors, timestamps, owner scope, JSON checks.

create or replace function xai_raise(p_code text, p_detail text) returns void
language plpgsql as $$
begin
  raise exception using errcode = 'P0001', message = p_code, detail = p_detail;
end $$;

-- ISO-8601 in UTC with microseconds, whatever the session time zone: cursors round-trip it.
-- Stable, as to_char is: declared immutable it could not be inlined, and a list of 20 records
-- called it 40 times as a function.
create or replace function xai_ts(p timestamptz) returns text
language sql stable as $$ select to_char(p at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

-- A record with one more field whose value is already JSON text: {...record, name: value}, as
-- json. A dataset's or version's record with its 1,000 files took the database 20 ms built as one
-- jsonb (the files aggregated into jsonb, merged with ||, aggregated again, printed); with the
-- files aggregated as json and spliced into the record's text, 6 ms. The record is a small object.
create or replace function xai_json_with_field(p_record jsonb, p_name text, p_value json) returns json
language sql immutable as $$
  select (left(p_record::text, -1) || case when p_record = '{}'::jsonb then '' else ', ' end
          || to_json(p_name)::text || ': ' || coalesce(p_value::text, 'null') || '}')::json
$$;

create or replace function xai_text_array(p jsonb) returns text[]
language sql immutable as $$
  select coalesce(array(select jsonb_array_elements_text(coalesce(p, '[]'::jsonb))), '{}')
$$;

-- Ownership scope: p_owner is the caller's principal id, or '*' for an admin (every owner).
-- Inlined by the planner, so with a concrete owner the owner indexes still apply.
create or replace function xai_can_see(p_row_owner text, p_owner text) returns boolean
language sql immutable as $$ select p_owner = '*' or p_row_owner = p_owner $$;

create or replace function xai_is_uuid(p text) returns boolean
language sql immutable as $$
  select p ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
$$;

-- Patches arrive as json for the same reason; `has` tests a key (json has no `?` operator).
create or replace function xai_json_has(p json, p_key text) returns boolean
language sql immutable as $$ select p::jsonb ? p_key $$;
