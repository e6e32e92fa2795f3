SELECT zone, time_bucket('1 hour', ts) AS h, avg(kwh), max(n) FROM m
 WHERE city = 'nyc' AND ts >= '2026-11-01' AND ts < '2026-11-02'
 GROUP BY zone, h ORDER BY h DESC NULLS FIRST LIMIT 10;
