COPY m FROM '/nonexistent/x.csv' (HEADER, DELIMITER ';', TIMEZONE 'UTC', COLUMNS (ts, city, zone));
COPY m FROM '/dev/null';
COPY m TO 'x.csv';
SELECT city, sum(n) AS total FROM m GROUP BY city HAVING total > 0 ORDER BY total * 2 DESC;
