#!/usr/bin/python3
"""peers.py BUILD CSV OUT.json — ots against DuckDB and SQLite on the meter CSV.

Run by bench/peers/run.sh (which installs the DuckDB node package and picks
the CSV); see bench/README.md, "bench/peers".  Debian's /usr/bin/python3,
standard library only.

For each engine: load the CSV (ingest rows/s over the load's wall time; bytes
on disk per row), then Q1-Q6 (one warm-up run, then RUNS timed runs; the
median is reported), each timed inside the engine:

  ots     build/bin/otsh --timer ("Time: N ms" on stderr, wall time of the
          statement, results sent to /dev/null by .output);
  duckdb  bench/peers/duckdb_runner.mjs (performance.now() around
          runAndReadAll, every chunk fetched);
  sqlite  the sqlite3 CLI, .timer on ("Run Time: real S user U sys Y";
          real has millisecond resolution only, so a run whose real time
          reads under 5 ms is taken as user+sys, microsecond resolution,
          which for a warm in-memory query is its wall time).

Every peer's answer is compared with ots's: rows sorted, timestamps
normalised to epoch seconds, numbers compared to 1e-9 relative.  A differing
answer is printed loudly and the exit status is 1.
"""
import calendar
import csv
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

WARMUP = 1
RUNS = int(os.environ.get("OTS_PEERS_RUNS", "5"))
HERE = os.path.dirname(os.path.abspath(__file__))

CREATE = {
    "ots": "CREATE TABLE meter_readings (ts TIMESTAMP, city TAG, zone TAG, meter_id TAG, "
    "kwh DOUBLE, voltage DOUBLE, status STRING)",
    "duckdb": "CREATE TABLE meter_readings (ts TIMESTAMP, city VARCHAR, zone VARCHAR, "
    "meter_id VARCHAR, kwh DOUBLE, voltage DOUBLE, status VARCHAR)",
    "sqlite": "CREATE TABLE meter_readings (ts TEXT, city TEXT, zone TEXT, meter_id TEXT, "
    "kwh REAL, voltage REAL, status TEXT)",
}

# Q1-Q6 as bench/bench_query.c runs them on ots, and the peers' dialects.
Q1 = ("SELECT ts, kwh, voltage, status FROM meter_readings WHERE city='berlin' AND zone='z07' "
      "AND meter_id='1317' ORDER BY ts DESC LIMIT 1")
Q4 = "SELECT city, sum(kwh) FROM meter_readings GROUP BY city"
Q5 = "SELECT city, zone, count(*) FROM meter_readings WHERE status='fault' GROUP BY city, zone"
Q6 = ("SELECT meter_id, max(voltage) AS v FROM meter_readings GROUP BY meter_id "
      "ORDER BY v DESC, meter_id LIMIT 10")
Q2 = "SELECT * FROM meter_readings WHERE city='berlin' AND zone='z07' AND ts >= %s AND ts < %s"
Q3 = ("SELECT zone, %s AS h, avg(kwh), min(kwh), max(kwh) FROM meter_readings "
      "WHERE city='oslo' GROUP BY zone, h")
QUERIES = [
    ("q1_latest_meter", {"ots": Q1, "duckdb": Q1, "sqlite": Q1}),
    ("q2_zone_hour", {
        "ots": Q2 % ("'2024-03-01T01:00:00Z'", "'2024-03-01T02:00:00Z'"),
        "duckdb": Q2 % ("TIMESTAMP '2024-03-01 01:00:00'", "TIMESTAMP '2024-03-01 02:00:00'"),
        "sqlite": Q2 % ("'2024-03-01 01:00:00'", "'2024-03-01 02:00:00'"),
    }),
    ("q3_hourly_zone_stats", {
        "ots": Q3 % "time_bucket('1 hour', ts)",
        "duckdb": Q3 % "time_bucket(INTERVAL '1 hour', ts)",
        "sqlite": Q3 % "strftime('%Y-%m-%d %H:00:00', ts)",
    }),
    ("q4_kwh_per_city", {"ots": Q4, "duckdb": Q4, "sqlite": Q4}),
    ("q5_faults_per_zone", {"ots": Q5, "duckdb": Q5, "sqlite": Q5}),
    ("q6_top_voltage", {"ots": Q6, "duckdb": Q6, "sqlite": Q6}),
]
ENGINES = ["ots", "duckdb", "sqlite"]


def log(msg):
    print("peers: " + msg, file=sys.stderr, flush=True)


def run(cmd, stdin=None, cwd=None, env=None):
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, cwd=cwd, env=env)
    if p.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (" ".join(cmd[:3]), p.returncode,
                                                  (p.stderr or p.stdout).strip()[-600:]))
    return p


def tree_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


def sql_lit(s):
    return "'" + s.replace("'", "''") + "'"


def parse_csv(text):
    rows = list(csv.reader(io.StringIO(text)))
    return (rows[0], rows[1:]) if rows else ([], [])


# ---- ots ---------------------------------------------------------------------------------------
def run_ots(build, csv_path, work):
    otsh = os.path.join(build, "bin", "otsh")
    store = os.path.join(work, "ots")
    res = {"version": run([otsh, "--version"]).stdout.strip()}
    p = run([otsh, "-d", store, "--timer", "-c", CREATE["ots"],
             "-c", "COPY meter_readings FROM %s (HEADER)" % sql_lit(csv_path), "-c", "CHECKPOINT"])
    times = [float(x) for x in re.findall(r"^Time: ([0-9.]+) ms", p.stderr, re.M)]
    m = re.search(r"^COPY (\d+)(.*)$", p.stdout, re.M)
    if len(times) != 3 or not m:
        raise RuntimeError("otsh load: unexpected output: %r %r" % (p.stdout[-300:], p.stderr[-300:]))
    if m.group(2).strip():
        raise RuntimeError("otsh COPY: %s" % m.group(0))
    res["rows"] = int(m.group(1))
    res["ingest_ms"] = times[1] + times[2]  # COPY + CHECKPOINT
    res["bytes"] = tree_bytes(os.path.join(store, "hot"))
    res["queries"] = {}
    for name, sqls in QUERIES:
        sql = sqls["ots"]
        script = os.path.join(work, "ots-%s.sql" % name)
        with open(script, "w") as f:
            f.write(".output /dev/null\n" + (sql + ";\n") * (WARMUP + RUNS))
        p = run([otsh, "-d", store, "--timer", "-f", script])
        t = [float(x) for x in re.findall(r"^Time: ([0-9.]+) ms", p.stderr, re.M)]
        if len(t) < WARMUP + RUNS:
            raise RuntimeError("otsh %s: %d timings in %r" % (name, len(t), p.stderr[-300:]))
        cols, rows = parse_csv(run([otsh, "-d", store, "--mode", "csv", "-c", sql]).stdout)
        res["queries"][name] = {"times_ms": t[-RUNS:], "columns": cols, "rows": rows}
    return res


# ---- DuckDB ------------------------------------------------------------------------------------
def run_duckdb(build, csv_path, work):
    prefix = os.path.abspath(os.path.join(build, "peers"))
    spec = {"warmup": WARMUP, "runs": RUNS, "create": CREATE["duckdb"],
            "queries": [{"name": n, "sql": s["duckdb"]} for n, s in QUERIES]}
    spec_path = os.path.join(work, "duckdb-spec.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    env = dict(os.environ, OTS_PEERS_NODE_PREFIX=prefix)
    t0 = time.perf_counter()
    p = run(["node", os.path.join(HERE, "duckdb_runner.mjs"), os.path.join(work, "duck.db"),
             csv_path, spec_path], env=env)
    log("duckdb runner: %.1f s" % (time.perf_counter() - t0))
    d = json.loads(p.stdout)
    res = {"version": "DuckDB %s (node-api, threads=%s)" % (d["version"], d["threads"]),
           "rows": d["rows"], "ingest_ms": d["ingest_ms"], "bytes": d["bytes"], "queries": {}}
    for q in d["queries"]:
        res["queries"][q["name"]] = {"times_ms": q["times_ms"], "columns": q["columns"],
                                     "rows": q["rows"]}
    return res


# ---- SQLite ------------------------------------------------------------------------------------
def run_sqlite(build, csv_path, work):
    del build
    db = os.path.join(work, "sqlite.db")
    res = {"version": "SQLite " + run(["sqlite3", "--version"]).stdout.split()[0]}
    load = "%s;\n.import --csv --skip 1 %s meter_readings\n" \
           "CREATE INDEX meter_readings_city_zone_ts ON meter_readings(city, zone, ts);\n" % (
               CREATE["sqlite"], csv_path)
    t0 = time.perf_counter()
    run(["sqlite3", db], stdin=load)
    res["ingest_ms"] = (time.perf_counter() - t0) * 1000  # wall time of the sqlite3 process
    res["rows"] = int(run(["sqlite3", db, "SELECT count(*) FROM meter_readings"]).stdout)
    res["bytes"] = os.path.getsize(db)
    res["queries"] = {}
    res["cpu_timed"] = []
    for name, sqls in QUERIES:
        sql = sqls["sqlite"]
        p = run(["sqlite3", db], stdin=".output /dev/null\n.timer on\n" + (sql + ";\n") * (WARMUP + RUNS))
        t = []
        for real, user, sys_ in re.findall(
                r"Run Time: real ([0-9.]+) user ([0-9.]+) sys ([0-9.]+)", p.stdout):
            real, cpu = float(real), float(user) + float(sys_)
            if real < 0.005:  # millisecond resolution: use the CPU time
                t.append(cpu * 1000)
                if name not in res["cpu_timed"]:
                    res["cpu_timed"].append(name)
            else:
                t.append(real * 1000)
        if len(t) < WARMUP + RUNS:
            raise RuntimeError("sqlite3 %s: %d timings in %r" % (name, len(t), p.stdout[-300:]))
        cols, rows = parse_csv(run(["sqlite3", "-csv", "-header", db, sql]).stdout)
        res["queries"][name] = {"times_ms": t[-RUNS:], "columns": cols, "rows": rows}
    return res


# ---- answers -----------------------------------------------------------------------------------
TS_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|\+00(:?00)?)?$")


def norm(v):
    """A value as a comparable (kind, value): timestamps to epoch seconds."""
    if v is None or v == "":
        return (0, None)
    if isinstance(v, bool):
        return (1, float(v))
    if isinstance(v, (int, float)):
        return (1, float(v))
    s = str(v)
    m = TS_RE.match(s)
    if m:
        t = calendar.timegm(tuple(int(m.group(i)) for i in range(1, 7)))
        return (1, t + (float(m.group(7)) if m.group(7) else 0.0))
    try:
        return (1, float(s))
    except ValueError:
        return (2, s)


def close(a, b):
    if a[0] != b[0]:
        return False
    if a[0] != 1:
        return a[1] == b[1]
    x, y = a[1], b[1]
    return x == y or abs(x - y) <= 1e-9 * max(abs(x), abs(y))


def compare(ref, got):
    """None if got's rows equal ref's (sorted, normalised), else a description."""
    r = sorted(tuple(norm(v) for v in row) for row in ref["rows"])
    g = sorted(tuple(norm(v) for v in row) for row in got["rows"])
    if len(r) != len(g):
        return "%d rows, ots %d" % (len(g), len(r))
    for i, (a, b) in enumerate(zip(r, g)):
        if len(a) != len(b):
            return "row %d has %d columns, ots %d" % (i, len(b), len(a))
        for j, (x, y) in enumerate(zip(a, b)):
            if not close(x, y):
                return "row %d column %d: %r, ots %r (sorted rows)" % (i, j, y[1], x[1])
    return None


# ---- report ------------------------------------------------------------------------------------
def fmt_rate(v):
    for div, p in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            return "%.2f%s" % (v / div, p)
    return "%.0f" % v


def fmt_ms(v):
    return "%.3f" % v if v < 10 else "%.1f" % v if v < 1000 else "%.0f" % v


def main():
    if len(sys.argv) != 4:
        print("usage: peers.py BUILD CSV OUT.json", file=sys.stderr)
        return 2
    build, csv_path, out_path = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
    unavailable = {}
    # run.sh names engines it could not set up: lines "engine=reason"
    for line in os.environ.get("OTS_PEERS_UNAVAILABLE", "").split("\n"):
        if "=" in line:
            e, why = line.split("=", 1)
            unavailable[e.strip()] = why.strip()
    if "sqlite" not in unavailable and not shutil.which("sqlite3"):
        unavailable["sqlite"] = "sqlite3 not on PATH (apt-get install sqlite3)"
    work = tempfile.mkdtemp(prefix="ots-peers-")
    results, failures = {}, []
    try:
        for e, fn in (("ots", run_ots), ("duckdb", run_duckdb), ("sqlite", run_sqlite)):
            if e in unavailable:
                log("%s unavailable: %s" % (e, unavailable[e]))
                continue
            log("%s: loading %s" % (e, csv_path))
            t0 = time.perf_counter()
            try:
                results[e] = fn(build, csv_path, work)
            except (RuntimeError, OSError, ValueError, KeyError) as ex:
                if e == "ots":
                    raise
                unavailable[e] = "failed: %s" % ex
                log("%s FAILED: %s" % (e, ex))
                failures.append("%s failed: %s" % (e, ex))
                continue
            log("%s: done in %.1f s" % (e, time.perf_counter() - t0))
            # free the disk: the 14.4 M-row files are large
            for f in os.listdir(work):
                p = os.path.join(work, f)
                if os.path.isdir(p):
                    shutil.rmtree(p, ignore_errors=True)
                elif f.endswith(".db") or f.endswith(".wal"):
                    os.unlink(p)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ots = results["ots"]
    nrows = ots["rows"]
    mismatches = []
    for e, r in results.items():
        r["ingest_rows_per_s"] = r["rows"] / (r["ingest_ms"] / 1000) if r["ingest_ms"] > 0 else 0
        r["bytes_per_row"] = r["bytes"] / r["rows"] if r["rows"] else 0
        if r["rows"] != nrows:
            mismatches.append("%s loaded %d rows, ots %d" % (e, r["rows"], nrows))
        for name, q in r["queries"].items():
            q["median_ms"] = statistics.median(q["times_ms"])
            q["result_rows"] = len(q["rows"])
            if e != "ots":
                d = compare(ots["queries"][name], q)
                q["matches_ots"] = d is None
                if d:
                    mismatches.append("%s %s differs from ots: %s" % (e, name, d))

    # the table: engine x (ingest, bytes/row, Q1..Q6), each with ots/peer
    qn = [n for n, _ in QUERIES]
    head = ["engine", "ingest rows/s", "ots/peer", "B/row", "ots/peer"]
    for n in qn:
        head += [n.split("_")[0].upper() + " ms", "ots/peer"]
    lines = []
    for e in ENGINES:
        if e not in results:
            lines.append([e] + ["unavailable"] + [""] * (len(head) - 2))
            continue
        r = results[e]
        vals = [(r["ingest_rows_per_s"], ots["ingest_rows_per_s"], fmt_rate),
                (r["bytes_per_row"], ots["bytes_per_row"], lambda v: "%.2f" % v)]
        vals += [(r["queries"][n]["median_ms"], ots["queries"][n]["median_ms"], fmt_ms) for n in qn]
        row = [e]
        for v, o, f in vals:
            row += [f(v), "-" if e == "ots" else ("%.2f" % (o / v) if v > 0 else "inf")]
        lines.append(row)
    w = [max(len(head[i]), *(len(l[i]) for l in lines)) for i in range(len(head))]
    print()
    print("peers: %s, %d rows; median of %d warm runs (after %d warm-up); %s, %d cores" % (
        os.path.relpath(csv_path), nrows, RUNS, WARMUP, platform.machine(), os.cpu_count() or 0))
    print("  ".join(h.rjust(w[i]) if i else h.ljust(w[i]) for i, h in enumerate(head)))
    print("  ".join("-" * x for x in w))
    for l in lines:
        print("  ".join(c.rjust(w[i]) if i else c.ljust(w[i]) for i, c in enumerate(l)).rstrip())
    print("ots/peer: ots's figure over the peer's (rows/s: >1 = ots ingests faster; B/row and ms: "
          ">1 = ots larger/slower)")
    for e in ENGINES:
        if e in results:
            note = results[e]["version"]
            if results[e].get("cpu_timed"):
                note += "; sub-5 ms runs timed as user+sys CPU: " + ", ".join(results[e]["cpu_timed"])
            print("  %-7s %s" % (e, note))
        else:
            print("  %-7s unavailable: %s" % (e, unavailable.get(e, "?")))
    try:
        load = os.getloadavg()
        print("  load average at the end: %.2f %.2f %.2f (a shared machine: figures are indicative)" % load)
    except OSError:
        load = None

    doc = {"csv": os.path.relpath(csv_path), "rows": nrows, "warmup": WARMUP, "runs": RUNS,
           "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "machine": {"arch": platform.machine(), "cpus": os.cpu_count(), "loadavg": load,
                       "kernel": platform.release()},
           "queries": {n: s for n, s in QUERIES},
           "engines": {}, "unavailable": unavailable, "mismatches": mismatches + failures}
    for e, r in results.items():
        doc["engines"][e] = {
            "version": r["version"], "rows": r["rows"], "ingest_ms": r["ingest_ms"],
            "ingest_rows_per_s": r["ingest_rows_per_s"], "bytes": r["bytes"],
            "bytes_per_row": r["bytes_per_row"], "cpu_timed": r.get("cpu_timed", []),
            "queries": {n: {k: q[k] for k in ("median_ms", "times_ms", "result_rows", "matches_ots")
                            if k in q} for n, q in r["queries"].items()},
        }
        if e != "ots":
            o = results["ots"]
            doc["engines"][e]["ots_over_peer"] = dict(
                {"ingest_rows_per_s": o["ingest_rows_per_s"] / r["ingest_rows_per_s"],
                 "bytes_per_row": o["bytes_per_row"] / r["bytes_per_row"]},
                **{n: o["queries"][n]["median_ms"] / r["queries"][n]["median_ms"]
                   for n in qn if r["queries"][n]["median_ms"] > 0})
    os.makedirs(os.path.dirname(out_path) or ".", exist_ok=True)
    with open(out_path + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(out_path + ".tmp", out_path)
    print("results: %s" % out_path)

    if mismatches or failures:
        print()
        print("!" * 78)
        for m in mismatches + failures:
            print("peers: ANSWER MISMATCH: " + m if m in mismatches else "peers: FAILED: " + m)
        print("!" * 78)
        return 1
    print("peers: every available peer returned ots's answers (sorted rows, floats to 1e-9)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
