//! The workflow engine's overhead, in one run on SQLite and on PostgreSQL:
//!
//!   cargo bench -p windflow-cli --bench workflow [-- --chain 50 --runs 200]
//!
//! - a chain of `--chain` `set` nodes (no work: what is left is the engine — rendering each
//!   node's templates, writing its row before and after, scheduling the next), run 5 times:
//!   the time per node;
//! - `--runs` runs of a one-node workflow queued at once (concurrency limit 100): runs
//!   finished per second, from the first queued to the last finished.
//!
//! PostgreSQL comes from WINDFLOW_TEST_DATABASE_URL (scripts/ensure-postgres.sh). Writes the
//! table to bench/results/workflow.md.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use windflow_testkit::server::{Api, Database, Server};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn wait(api: &Api, id: &str) -> Value {
    loop {
        let r = api
            .get(&format!("/orgs/default/workflow-runs/{id}"))
            .await
            .unwrap();
        if matches!(
            r.body["status"].as_str(),
            Some("succeeded" | "failed" | "cancelled")
        ) {
            return r.body;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn seconds(text: &Value) -> f64 {
    let t = time::OffsetDateTime::parse(
        text.as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    t.unix_timestamp_nanos() as f64 / 1e9
}

async fn measure(database: Database, chain: usize, runs: usize) -> (String, f64, f64) {
    let name = database.name().to_string();
    let bin = windflow_testkit::locate_windflow_bin(option_env!("CARGO_BIN_EXE_windflow")).unwrap();
    let server = Server::start(&bin, database).await.unwrap();
    let admin = server.admin().await.unwrap();
    let nodes: Vec<Value> = (0..chain)
        .map(|i| json!({"id": format!("n{i}"), "type": "set", "values": {"i": format!("${{{{ {i} + 1 }}}}")}}))
        .collect();
    let edges: Vec<Value> = (1..chain)
        .map(|i| json!({"from": format!("n{}", i - 1), "to": format!("n{i}")}))
        .collect();
    let r = admin
        .put(
            "/orgs/default/workflows/chain",
            json!({"document": {"name": "chain", "nodes": nodes, "edges": edges}}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text);
    let mut per_node = Vec::new();
    for _ in 0..5 {
        let r = admin
            .post("/orgs/default/workflows/chain/runs", json!({}))
            .await
            .unwrap();
        let run = wait(&admin, r.body["id"].as_str().unwrap()).await;
        assert_eq!(run["status"], "succeeded", "{run}");
        let took = seconds(&run["finished_at"]) - seconds(&run["started_at"]);
        per_node.push(took / chain as f64 * 1000.0);
    }
    per_node.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median_ms = per_node[per_node.len() / 2];

    let r = admin
        .put(
            "/orgs/default/workflows/one",
            json!({"document": {"name": "one", "concurrency": {"limit": 100},
                "nodes": [{"id": "a", "type": "set", "values": {"x": "1"}}]}}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text);
    let started = Instant::now();
    let mut ids = Vec::new();
    for _ in 0..runs {
        let r = admin
            .post("/orgs/default/workflows/one/runs", json!({}))
            .await
            .unwrap();
        assert_eq!(r.status, 202, "{}", r.text);
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    for id in &ids {
        wait(&admin, id).await;
    }
    let per_second = runs as f64 / started.elapsed().as_secs_f64();
    (name, median_ms, per_second)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let chain = arg("--chain", 50) as usize;
    let runs = arg("--runs", 200) as usize;
    let mut databases = vec![Database::Sqlite];
    if let Some(db) = windflow_testkit::postgres::fresh_database("wfbench").await {
        databases.push(Database::Postgres(db));
    }
    let mut table = format!(
        "| database | per node ({chain}-node chain, median of 5) | runs per second ({runs} one-node runs) |\n|---|---|---|\n"
    );
    for database in databases {
        let (name, per_node, per_second) = measure(database, chain, runs).await;
        println!("{name}: {per_node:.2} ms per node, {per_second:.1} runs/s");
        table.push_str(&format!(
            "| {name} | {per_node:.2} ms | {per_second:.1} |\n"
        ));
    }
    let out =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/results/workflow.md");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, &table).unwrap();
    print!("{table}");
}
