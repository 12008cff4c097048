-- Descriptive fields a form sends after its file part (Swagger UI orders the form as the user
-- filled it): they do not choose where the bytes go, so they are applied to the pending row,
-- after the bytes and before the same finalize as ever. Only a pending row of the caller's.

create or replace function xai_patch_pending_model(p_owner text, p_id uuid, p_patch jsonb) returns void
language plpgsql as $$
begin
  update models set
    framework = case when p_patch ? 'framework' then p_patch ->> 'framework' else framework end,
    description = case when p_patch ? 'description' then p_patch ->> 'description' else description end,
    tags = case when p_patch ? 'tags' then xai_text_array(p_patch -> 'tags') else tags end,
    metrics = case when p_patch ? 'metrics' then p_patch -> 'metrics' else metrics end,
    params = case when p_patch ? 'params' then p_patch -> 'params' else params end
  where id = p_id and state = 'pending' and xai_can_see(owner_id, p_owner);
  if not found then perform xai_raise('upload_cancelled', 'The model was removed while its upload was in progress.'); end if;
end $$;

create or replace function xai_patch_pending_explanation(p_owner text, p_id uuid, p_patch jsonb) returns void
language plpgsql as $$
begin
  update explanations set
    description = case when p_patch ? 'description' then p_patch ->> 'description' else description end,
    tags = case when p_patch ? 'tags' then xai_text_array(p_patch -> 'tags') else tags end,
    summary = case when p_patch ? 'summary' then p_patch -> 'summary' else summary end,
    params = case when p_patch ? 'params' then p_patch -> 'params' else params end
  where id = p_id and state = 'pending' and xai_can_see(owner_id, p_owner);
  if not found then perform xai_raise('upload_cancelled', 'The explanation was removed while its upload was in progress.'); end if;
end $$;

-- Through Supabase only the service role may call these functions.
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'anon') then
    execute 'revoke execute on function xai_patch_pending_model(text, uuid, jsonb) from anon, authenticated, public';
    execute 'revoke execute on function xai_patch_pending_explanation(text, uuid, jsonb) from anon, authenticated, public';
  end if;
end $$;
