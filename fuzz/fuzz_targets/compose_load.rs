//! Any bytes, read as (lossy) UTF-8, through the whole compose loader: it must return a stack
//! or diagnostics, never panic, hang or exhaust memory.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use windflow_compose::{LoadOptions, load_from_str};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let options = LoadOptions {
        // No `.env` or `env_file` can be found here.
        working_dir: Some(PathBuf::from("/nonexistent/windflow-fuzz")),
        environment: [("SET", "1"), ("EMPTY", "")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..LoadOptions::default()
    };
    let _ = load_from_str("fuzz.yml", &text, &options);
});
