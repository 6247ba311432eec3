-- Updates and deletes, a rolled-back transaction, vacuum and an integrity check.
BEGIN;
UPDATE orders SET amount = amount * 2 WHERE customer_id = 1;
DELETE FROM orders WHERE id % 10 = 0;
COMMIT;
BEGIN;
DELETE FROM orders;
ROLLBACK;
SELECT count(*), round(sum(amount), 1) FROM orders;
CREATE TABLE blobs(id INTEGER PRIMARY KEY, data BLOB);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
INSERT INTO blobs(data) SELECT zeroblob(4000 + i) FROM n;
SELECT count(*), sum(length(data)) FROM blobs;
DROP TABLE blobs;
VACUUM;
PRAGMA integrity_check;
SELECT count(*) FROM orders;
