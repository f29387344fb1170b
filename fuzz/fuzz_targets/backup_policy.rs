//! Any text as a compose file's `x-windflow.backup` block, and any JSON as an API-set policy:
//! a policy or diagnostics, never a panic; a policy that reads gives restic flags, next run
//! times, and survives a JSON round trip unchanged. Also restic's output readers and failure
//! classifier on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use windflow_backup::{Policy, Schedule, restic};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(Some(policy)) = Policy::from_compose("fuzz.yaml", &text) {
        let _ = policy.retention.flags();
        let _ = policy.problems_in_stack(&["data"], &["db"]);
        if let Some(s) = &policy.schedule
            && let Ok(schedule) = Schedule::parse(s, policy.timezone.as_deref())
        {
            let _ = schedule.next_after(1_767_225_600_000);
        }
        let json = serde_json::to_value(&policy).expect("a policy serializes");
        let back: Policy = serde_json::from_value(json).expect("and reads back");
        assert_eq!(back, policy);
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data)
        && let Ok(policy) = serde_json::from_value::<Policy>(value)
    {
        let _ = policy.problems();
    }
    let _ = restic::backup_summary(&text);
    let _ = restic::snapshots(&text);
    let _ = restic::entries(&text);
    let _ = restic::classify(1, &text).to_string();
});
