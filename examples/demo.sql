-- demo.sql — what `make demo` runs in otsh after loading the bundled data.
-- The store already holds the city registry (examples/cities.csv), London's
-- borough polygons and the Seattle / New York daily weather (tools/ots_demo).

-- 1. A generated smart-meter stream: 10 cities x 20 zones x 50 meters, one
--    reading a minute for 2.4 hours (tools/gen_meters 144 = 1.44 M rows).
CREATE TABLE meter_readings (ts TIMESTAMP, city TAG, zone TAG, meter_id TAG,
                             kwh DOUBLE, voltage DOUBLE, status STRING)
  WITH (rollup = '1h,1d', hot = '30 days', retain = '2 years');
COPY meter_readings FROM 'demo-out/meters.csv' (HEADER);
CHECKPOINT;
SHOW STORAGE meter_readings;

-- 2. Questions an operations team asks every morning.
-- Newest reading of one meter
SELECT ts, kwh, voltage, status FROM meter_readings
 WHERE city = 'berlin' AND zone = 'z07' AND meter_id = '1317'
 ORDER BY ts DESC LIMIT 1;

-- Hourly kWh per zone for one city, in the city's own time zone
SELECT zone, time_bucket('1 hour', ts, 'Europe/Oslo') AS hour,
       round(avg(kwh), 3) AS avg_kwh, min(kwh) AS min_kwh, max(kwh) AS max_kwh
  FROM meter_readings WHERE city = 'oslo'
 GROUP BY zone, hour ORDER BY zone, hour LIMIT 6;

-- Total kWh per city
SELECT city, round(sum(kwh), 2) AS total_kwh FROM meter_readings
 GROUP BY city ORDER BY total_kwh DESC;

-- Faults per city and zone, the worst first
SELECT city, zone, count(*) AS faults FROM meter_readings
 WHERE status = 'fault' GROUP BY city, zone ORDER BY faults DESC, city, zone LIMIT 5;

-- Top meters by peak voltage
SELECT city, meter_id, max(voltage) AS peak_v FROM meter_readings
 GROUP BY city, meter_id ORDER BY peak_v DESC, meter_id LIMIT 5;

-- What the planner read and skipped
EXPLAIN SELECT avg(kwh) FROM meter_readings
 WHERE city = 'lisbon' AND ts >= '2024-03-01T01:00:00Z' AND ts < '2024-03-01T02:00:00Z';

-- 3. Real weather, 2012-2015: monthly means per city in local months
SELECT city, time_bucket('1 month', ts, 'America/New_York') AS month,
       round(avg(temp_max), 1) AS avg_high, round(sum(precipitation), 1) AS rain_mm
  FROM weather WHERE ts >= '2015-06-01' AND ts < '2015-09-01'
 GROUP BY city, month ORDER BY city, month;

SHOW CITIES;
