CREATE TABLE t (ts TIMESTAMP, city TAG, zone TAG, v BIGINT) WITH (retain = '2 years');
INSERT INTO t (ts, city, zone, v) VALUES (now(), 'a', 'b', 1), (now() - INTERVAL '1 day', 'a', 'b', NULL);
SHOW TABLES; DESCRIBE t; SHOW PARTITIONS t; SHOW STORAGE t; CHECKPOINT; SHOW CITIES; SHOW ZONES;
SELECT first(v), last(v), count(DISTINCT city), stddev(v), percentile_cont(0.9) WITHIN GROUP (ORDER BY v) FROM t;
DROP TABLE IF EXISTS t; DROP TABLE t;
