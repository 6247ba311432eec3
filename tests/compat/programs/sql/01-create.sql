-- Tables, an index and 5000 generated rows in one transaction.
CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer(id),
                    amount REAL, note TEXT);
CREATE INDEX orders_customer ON orders(customer_id);
BEGIN;
INSERT INTO customer(name, city) VALUES ('Ada', 'London'), ('Linus', 'Helsinki'),
  ('Grace', 'New York'), ('Ken', 'Murray Hill'), ('Barbara', 'Boston');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
INSERT INTO orders(customer_id, amount, note)
  SELECT (i * 7) % 5 + 1, (i * 37) % 1000 / 10.0, printf('order-%05d-%s', i, hex(i))
  FROM n;
COMMIT;
SELECT count(*), sum(amount), min(note), max(note) FROM orders;
