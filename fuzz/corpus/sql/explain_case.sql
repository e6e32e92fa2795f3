EXPLAIN SELECT count(*) FROM m WHERE zone IN ('z1', 'z2') AND kwh BETWEEN 0 AND 5;
SELECT CASE WHEN kwh IS NULL THEN 'none' ELSE note || '!' END, n % 2, -kwh / 0 FROM m WHERE note LIKE '%y%' OR NOT ok;
