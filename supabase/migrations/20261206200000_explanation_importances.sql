-- Explanations as data: each explanation's feature importances as rows (from its SHAP matrix's
-- per-column mean |value|, or from its summary), so they are queried, compared across model
-- versions and filtered by feature and rank without reading the file. Filled when the
-- explanation becomes ready (xai_record_importances, supabase/sql/35_importances.sql).
create table if not exists explanation_importances (
  explanation_id uuid not null references explanations (id) on delete cascade,
  feature        text not null,
  importance     double precision not null,
  mean           double precision,
  min            double precision,
  max            double precision,
  rank           integer not null check (rank > 0),
  primary key (explanation_id, feature)
);
-- "Explanations in which this feature is among the top N."
create index if not exists explanation_importances_feature_rank on explanation_importances (feature, rank);
alter table explanation_importances enable row level security;

-- Where the importances came from: {source: matrix|summary, file, rows, profiledRows, untracked}
-- or {source: null, reason}.
alter table explanations add column if not exists importances jsonb;
-- A .npy matrix's feature names, in column order, as sent with the explanation (else the
-- dataset version's columns name them).
alter table explanations add column if not exists features jsonb;

-- The list gains feature and rank filters: its old signature goes (one current form).
drop function if exists xai_list_explanations(text, integer, uuid, text, text, text, text, timestamptz, uuid);
