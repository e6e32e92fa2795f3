SELECT time_bucket('1 month', ts, 'America/New_York') m, time_bucket('1 week', ts) w, count(*) FROM m GROUP BY 1, 2 HAVING count(*) > 0 ORDER BY 1, w LIMIT 5 OFFSET 0;
