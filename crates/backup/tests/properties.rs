//! Property tests: no input makes the policy reader, the schedule, restic's output readers or
//! the failure classifier panic; a policy that reads survives a JSON round trip unchanged.

use proptest::prelude::*;
use windflow_backup::{Policy, Schedule, restic};

/// Lines a user might write under `x-windflow.backup`, right and wrong.
const LINES: &[&str] = &[
    "repository: offsite",
    "repository: [a]",
    "schedule: \"0 3 * * *\"",
    "schedule: \"61 3 * * *\"",
    "schedule: \"@daily\"",
    "schedule: 5",
    "timezone: Europe/Paris",
    "timezone: Nowhere/City",
    "retention: {last: 3, daily: 7}",
    "retention: {last: -1}",
    "retention: {forever: 1}",
    "retention: 3",
    "volumes: [data, uploads]",
    "volumes: all",
    "volumes: {a: b}",
    "binds: true",
    "binds: maybe",
    "databases: auto",
    "databases: none",
    "databases: {db: {engine: postgres, database: app}}",
    "databases: {db: {engine: oracle}}",
    "databases: {db: 3}",
    "consistency: stop",
    "consistency: paused",
    "exclude: [\"*.tmp\", \"-rf\"]",
    "hooks: {pre: [{service: db, command: [sync]}]}",
    "hooks: {post: [{service: db, command: \"a | b\"}]}",
    "hooks: [1, 2]",
    "check: {schedule: \"0 5 * * 0\", read_data: 5%}",
    "check: {read_data: 500}",
    "drill: {checks: [{service: db, command: [true], expect: \"1\"}]}",
    "drill: {schedule: \"bad\"}",
    "drill: 7",
    "unknown: 1",
    "&a {x: 1}",
    "<<: *a",
];

fn document() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(prop::sample::select(LINES), 0..8),
        ".{0,40}",
    )
        .prop_map(|(lines, noise)| {
            let mut text =
                String::from("services:\n  db:\n    image: postgres:17\nx-windflow:\n  backup:\n");
            for line in lines {
                text.push_str("    ");
                text.push_str(line);
                text.push('\n');
            }
            text.push_str(&noise);
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn policies_read_or_explain_never_panic(text in document()) {
        match Policy::from_compose("c.yaml", &text) {
            Ok(Some(policy)) => {
                let json = serde_json::to_value(&policy).unwrap();
                let back: Policy = serde_json::from_value(json).unwrap();
                prop_assert_eq!(&back, &policy);
                prop_assert!(policy.problems().is_empty());
                let _ = policy.retention.flags();
            }
            Ok(None) => {}
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in errors {
                    prop_assert!(e.path.is_empty() || e.path.starts_with("x-windflow") || e.line.is_some(), "{e}");
                }
            }
        }
    }

    #[test]
    fn any_text_is_safe_for_the_readers(text in ".{0,300}") {
        let _ = Policy::from_compose("c.yaml", &text);
        let _ = restic::backup_summary(&text);
        let _ = restic::snapshots(&text);
        let _ = restic::entries(&text);
        let _ = restic::classify(1, &text).to_string();
        let _ = Schedule::parse(&text, None);
        let _ = Schedule::parse("0 3 * * *", Some(&text));
    }
}
