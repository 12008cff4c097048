-- Profiles now say how many rows their column statistics describe (`profiledRows`): fewer than
-- `rows` when profiling skipped ahead rather than slow an upload. Profiles stored before that
-- described every row.
update dataset_files
set profile = jsonb_set(profile, '{profile,profiledRows}', profile -> 'profile' -> 'rows')
where jsonb_typeof(profile -> 'profile') = 'object'
  and not (profile -> 'profile' ? 'profiledRows');
