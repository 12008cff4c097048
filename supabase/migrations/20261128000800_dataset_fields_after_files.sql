-- A dataset's descriptive fields (description, tags, status) may follow its files, as they may
-- follow a model's or an explanation's file: they do not choose where the bytes go (the name
-- does). They are applied to the dataset the request reserved, still pending, before the same
-- finalize as ever. Only the pending dataset of this caller's own batch.

create or replace function xai_patch_pending_dataset(p_owner text, p_id uuid, p_batch uuid, p_patch jsonb) returns void
language plpgsql as $$
begin
  update datasets set
    description = case when p_patch ? 'description' then p_patch ->> 'description' else description end,
    tags = case when p_patch ? 'tags' then xai_text_array(p_patch -> 'tags') else tags end,
    status = case when p_patch ? 'status' then p_patch ->> 'status' else status end
  where id = p_id and state = 'pending' and batch_id = p_batch and xai_can_see(owner_id, p_owner);
  if not found then perform xai_raise('upload_cancelled', 'The dataset was removed while its upload was in progress.'); end if;
end $$;

-- Through Supabase only the service role may call it.
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'anon') then
    execute 'revoke execute on function xai_patch_pending_dataset(text, uuid, uuid, jsonb) from anon, authenticated, public';
  end if;
end $$;
