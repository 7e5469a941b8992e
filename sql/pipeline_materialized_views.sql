-- The materialized analytics twins: populated or not, size and rows. A twin not populated
-- cannot be read until the next `pinpipe refresh` (which prints each refresh's time).
-- Usage: psql -f sql/pipeline_materialized_views.sql

SELECT format('%I.%I', n.nspname, c.relname)   AS materialized_view,
       c.relispopulated                        AS populated,
       pg_size_pretty(pg_total_relation_size(c.oid)) AS size,
       c.reltuples::bigint                     AS estimated_rows
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = 'analytics' AND c.relkind = 'm'
ORDER BY c.relname;
