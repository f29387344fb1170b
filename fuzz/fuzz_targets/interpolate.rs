//! Any text through compose interpolation: a result or an error message, never a panic; text
//! without `$` comes back unchanged.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use windflow_compose::interpolate::interpolate_with_map;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let environment: BTreeMap<String, String> = [("SET", "value"), ("EMPTY", "")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let result = interpolate_with_map(&text, &environment);
    if !text.contains('$') {
        assert_eq!(result.map(|r| r.text).as_deref(), Ok(text.as_ref()));
    }
});
