-- Custom-field storage at 100,000 records: jsonb with a GIN index (docs/design-notes.md).
-- Run against a scratch PostgreSQL database: psql "$DATABASE_URL" -f bench/custom_fields.sql
\timing off
DROP TABLE IF EXISTS cf_bench;
CREATE TABLE cf_bench (id serial primary key, owner_id int, custom_fields jsonb not null default '{}');
INSERT INTO cf_bench (owner_id, custom_fields)
SELECT (g % 50),
  jsonb_build_object('tier', (ARRAY['gold','silver','bronze','none'])[1 + g % 4],
                     'segments', CASE WHEN g % 10 = 0 THEN '["public","smb"]'::jsonb ELSE '["smb"]'::jsonb END,
                     'budget', ((g * 37) % 100000)::text,
                     'renewal', to_char(date '2026-01-01' + (g % 365), 'YYYY-MM-DD'),
                     'region_code', 'R' || (g % 1000)::text)
FROM generate_series(1, 100000) g;
ANALYZE cf_bench;
SELECT pg_size_pretty(pg_total_relation_size('cf_bench')) AS table_size;
\echo 'no index: tier = gold (containment)'
EXPLAIN (ANALYZE, COSTS OFF, TIMING ON, SUMMARY ON) SELECT count(*) FROM cf_bench WHERE custom_fields @> '{"region_code": "R7"}';
CREATE INDEX cf_bench_gin ON cf_bench USING gin (custom_fields jsonb_path_ops);
ANALYZE cf_bench;
SELECT pg_size_pretty(pg_relation_size('cf_bench_gin')) AS gin_size;
\echo 'GIN: selective equality (1 in 1000)'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) SELECT count(*) FROM cf_bench WHERE custom_fields @> '{"region_code": "R7"}';
\echo 'GIN: choice contained (1 in 10)'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) SELECT count(*) FROM cf_bench WHERE custom_fields @> '{"segments": ["public"]}';
\echo 'range on number (cast), no index usable'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) SELECT count(*) FROM cf_bench WHERE (custom_fields ->> 'budget')::numeric >= 99000;
\echo 'page of 50 with GIN filter, ordered by id'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) SELECT id FROM cf_bench WHERE custom_fields @> '{"tier": "gold"}' AND owner_id = 3 ORDER BY id LIMIT 50;
\echo 'write: update one row'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) UPDATE cf_bench SET custom_fields = custom_fields || '{"tier": "silver"}' WHERE id = 500;
DROP TABLE cf_bench;
