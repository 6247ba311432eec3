-- Write-ahead logging: the -wal file and the -shm index are mapped shared.
PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS kv(k TEXT PRIMARY KEY, v INTEGER);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
INSERT OR REPLACE INTO kv SELECT 'key' || i, i * i FROM n;
SELECT count(*), sum(v) FROM kv;
PRAGMA wal_checkpoint(TRUNCATE);
SELECT v FROM kv WHERE k = 'key2999';
