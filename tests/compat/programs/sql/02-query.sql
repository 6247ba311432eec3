-- Reads back what the previous connection wrote: joins, grouping, ordering, subqueries.
SELECT c.name, count(o.id), round(sum(o.amount), 1), round(avg(o.amount), 3)
  FROM customer c JOIN orders o ON o.customer_id = c.id
  GROUP BY c.id ORDER BY sum(o.amount) DESC;
SELECT c.city, o.note FROM orders o JOIN customer c ON c.id = o.customer_id
  WHERE o.id IN (1, 2500, 5000) ORDER BY o.id;
SELECT name FROM customer WHERE id NOT IN (SELECT customer_id FROM orders WHERE amount > 99.5)
  ORDER BY name;
SELECT amount, count(*) AS n FROM orders GROUP BY amount HAVING n > 50 ORDER BY n DESC, amount LIMIT 5;
SELECT group_concat(name, ',') FROM (SELECT name FROM customer ORDER BY name);
EXPLAIN QUERY PLAN SELECT * FROM orders WHERE customer_id = 3;
