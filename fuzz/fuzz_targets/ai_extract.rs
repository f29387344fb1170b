//! Any model answer through the AI pipeline's extraction and check: the compose file found
//! (or none) and WindFlow's problems with it, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let answer = String::from_utf8_lossy(data);
    if let Some(yaml) = windflow_ai::extract_yaml(&answer) {
        let _ = windflow_ai::compose_check(&yaml);
    }
    let _ = windflow_ai::redact_compose(&answer);
});
