-- Sorting models by a metric walks an index instead of reading every model's metrics: one row
-- per (model, numeric metric), kept by the SQL functions that write a model's metrics
-- (xai_sync_model_metrics). The owner is copied so that the index leads to one owner's values
-- of one metric in order; ties (newest first) are sorted from the models rows.
create table if not exists model_metrics (
  model_id uuid not null references models (id) on delete cascade,
  owner_id text not null,
  metric   text not null,
  value    double precision not null,
  primary key (model_id, metric)
);
create index if not exists model_metrics_sort on model_metrics (owner_id, metric, value);
alter table model_metrics enable row level security;

insert into model_metrics (model_id, owner_id, metric, value)
select m.id, m.owner_id, k.key, (k.value #>> '{}')::double precision
from models m, json_each(m.metrics) k
where json_typeof(k.value) = 'number'
on conflict do nothing;
