// duckdb_runner.mjs DB CSV SPEC.json — the DuckDB side of bench/peers/run.sh.
//
// Loads CSV into a new DuckDB database file DB (CREATE TABLE, COPY … (HEADER),
// CHECKPOINT: the ingest time), then runs each query of SPEC.json
// ({"warmup": 1, "runs": 5, "create": SQL, "queries": [{"name", "sql"}]})
// warmup + runs times, timing each run with performance.now() around
// runAndReadAll (every result chunk fetched).  Prints one JSON document on
// stdout: {"version", "threads", "ingest_ms", "rows", "bytes", "queries":
// [{"name", "times_ms": [...], "columns": [...], "rows": [[...]]}]}, the
// rows of the first run as JSON values (timestamps as text, big integers as
// text).  @duckdb/node-api is loaded from $OTS_PEERS_NODE_PREFIX/node_modules
// (run.sh installs it with npm install --prefix BUILD/peers).
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';

const [db, csv, specPath] = process.argv.slice(2);
if (!db || !csv || !specPath) {
    console.error('usage: node duckdb_runner.mjs DB CSV SPEC.json');
    process.exit(2);
}
const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
const req = createRequire((process.env.OTS_PEERS_NODE_PREFIX || process.cwd()) + '/');
const { DuckDBInstance } = req('@duckdb/node-api');

for (const f of [db, db + '.wal']) fs.rmSync(f, { force: true });
const inst = await DuckDBInstance.create(db);
const conn = await inst.connect();
const scalar = async (sql) => (await conn.runAndReadAll(sql)).getRowsJson()[0][0];

await conn.run(spec.create);
const lit = csv.replaceAll("'", "''");
let t0 = performance.now();
await conn.run(`COPY meter_readings FROM '${lit}' (HEADER)`);
await conn.run('CHECKPOINT');
const ingestMs = performance.now() - t0;
const rows = Number(await scalar('SELECT count(*) FROM meter_readings'));
const version = await scalar('SELECT version()');
const threads = await scalar("SELECT current_setting('threads')");

const out = [];
for (const q of spec.queries) {
    const times = [];
    let first = null;
    for (let i = 0; i < spec.warmup + spec.runs; i++) {
        t0 = performance.now();
        const r = await conn.runAndReadAll(q.sql);
        const ms = performance.now() - t0;
        if (i >= spec.warmup) times.push(ms);
        if (!first) first = r;
    }
    out.push({ name: q.name, times_ms: times, columns: first.columnNames(), rows: first.getRowsJson() });
}
conn.closeSync();
inst.closeSync();
let bytes = fs.statSync(db).size;
if (fs.existsSync(db + '.wal')) bytes += fs.statSync(db + '.wal').size;
process.stdout.write(JSON.stringify({ version, threads, ingest_ms: ingestMs, rows, bytes, queries: out }) + '\n');
