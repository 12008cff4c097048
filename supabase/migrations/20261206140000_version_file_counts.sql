-- A version sent by direct upload arrives file by file, in sessions running side by side: its
-- first session says how many files it holds, and it becomes ready when that many are verified.
-- Null for a version made in one request (its files are finalized together).
alter table models add column expected_files integer check (expected_files between 1 and 1000);
alter table explanations add column expected_files integer check (expected_files between 1 and 1000);
