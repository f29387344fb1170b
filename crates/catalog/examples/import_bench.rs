//! Imports the whole Coolify corpus (`tests/data/coolify/*.yaml`) N times and prints the time
//! per full import and the share imported (and imported without any note).
//!
//! ```text
//! cargo run --release -p windflow-catalog --example import_bench -- [N] [DIR]
//! ```

use std::time::Instant;

use windflow_catalog::import::coolify;

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(20);
    let dir = args
        .next()
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/coolify").to_string());
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {dir}: {e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            (name, text)
        })
        .collect();
    files.sort();
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();

    let mut imported = 0;
    let mut clean = 0;
    let mut times = Vec::with_capacity(rounds);
    for round in 0..rounds.max(1) {
        let start = Instant::now();
        let (mut ok, mut without_notes) = (0, 0);
        for (name, text) in &files {
            if let Ok((_, notes)) = coolify::import(name, text) {
                ok += 1;
                if notes.is_empty() {
                    without_notes += 1;
                }
            }
        }
        times.push(start.elapsed());
        if round == 0 {
            imported = ok;
            clean = without_notes;
        }
    }
    times.sort();
    let median = times[times.len() / 2];
    let total = files.len();
    println!(
        "{total} templates ({:.1} MiB), {} rounds",
        bytes as f64 / (1 << 20) as f64,
        times.len()
    );
    println!(
        "full import: median {:.1} ms, min {:.1} ms, max {:.1} ms ({:.0} µs per template)",
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e6 / total.max(1) as f64
    );
    println!(
        "imported {imported}/{total} ({:.1}%), {clean} without any note ({:.1}%)",
        100.0 * imported as f64 / total.max(1) as f64,
        100.0 * clean as f64 / total.max(1) as f64
    );
}
