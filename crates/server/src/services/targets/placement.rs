//! Choosing where a deployment runs when the request gives a label selector instead of a
//! target: the eligible targets are those whose labels include the selector, that answer a
//! live connection check, and whose unreserved memory covers the stack's reservations; the
//! strategy picks among them. The same choice, minus the targets already tried, is the
//! failover when the chosen target fails.

use std::collections::BTreeMap;

use windflow_domain::StackSpec;
use windflow_protocol::{Placement, PlacementStrategy};
use windflow_storage::Target;

use crate::error::{ApiError, ApiResult};
use crate::services;
use crate::state::App;

/// Whether `labels` include every `key=value` of `selector` (values compared as text, so a
/// label stored as a number or a boolean matches its written form).
pub fn matches(
    labels: &serde_json::Map<String, serde_json::Value>,
    selector: &BTreeMap<String, String>,
) -> bool {
    selector.iter().all(|(key, wanted)| {
        labels.get(key).is_some_and(|value| match value {
            serde_json::Value::String(text) => text == wanted,
            other => serde_json::to_string(other).is_ok_and(|text| text == *wanted),
        })
    })
}

/// The memory the stack reserves once running: per service its reservation (else its
/// limit) times its replicas.
pub fn memory_needs(stack: &StackSpec) -> u64 {
    stack
        .services
        .values()
        .map(|service| {
            let deploy = &service.deploy;
            let per_replica = deploy
                .reservations
                .memory
                .or(deploy.limits.memory)
                .unwrap_or(0);
            per_replica.saturating_mul(u64::from(deploy.replicas))
        })
        .fold(0u64, u64::saturating_add)
}

/// A target chosen by a selector, and why.
pub struct Choice {
    pub target: Target,
    pub reason: String,
}

/// The eligible target the strategy prefers among the organization's targets matching
/// `selector`, skipping the names in `exclude`. Each candidate is checked live (which
/// also records its health). `Invalid` naming `selector` with every candidate's reason
/// when none is eligible.
pub async fn choose_target(
    app: &App,
    org_id: &str,
    selector: &BTreeMap<String, String>,
    strategy: PlacementStrategy,
    needs: u64,
    exclude: &[String],
) -> ApiResult<Choice> {
    let candidates: Vec<Target> = app
        .store
        .list_targets(org_id)
        .await?
        .into_iter()
        .filter(|t| matches(&t.labels, selector) && !exclude.contains(&t.name))
        .collect();
    if candidates.is_empty() {
        let mut message = format!("no target has the labels {}", describe(selector));
        if !exclude.is_empty() {
            message.push_str(&format!(" besides {}", exclude.join(", ")));
        }
        return Err(ApiError::invalid("selector", message));
    }
    let checks =
        futures::future::join_all(candidates.iter().map(|t| services::targets::check(app, t)))
            .await;
    let mut refused = Vec::new();
    let mut best: Option<(u64, Target, u64)> = None;
    for (target, check) in candidates.into_iter().zip(checks) {
        let Some(info) = check.info.filter(|_| check.ok) else {
            let why = check.error.unwrap_or_else(|| "down".into());
            refused.push(format!("{}: down ({why})", target.name));
            continue;
        };
        let free = info.memory_bytes.saturating_sub(info.reserved_memory_bytes);
        if free < needs {
            refused.push(format!(
                "{}: {} free, the stack reserves {}",
                target.name,
                bytes(free),
                bytes(needs)
            ));
            continue;
        }
        let better = match (&best, strategy) {
            (None, _) => true,
            (Some((best_free, ..)), PlacementStrategy::MostFreeMemory) => free > *best_free,
        };
        if better {
            best = Some((free, target, info.memory_bytes));
        }
    }
    match best {
        Some((free, target, total)) => Ok(Choice {
            reason: format!(
                "labels {}; most free memory: {} of {}",
                describe(selector),
                bytes(free),
                bytes(total)
            ),
            target,
        }),
        None => Err(ApiError::invalid(
            "selector",
            format!(
                "no eligible target has the labels {}: {}",
                describe(selector),
                refused.join("; ")
            ),
        )),
    }
}

/// A placement as stored with the deployment.
pub fn record(placement: &Placement) -> serde_json::Value {
    serde_json::to_value(placement).unwrap_or(serde_json::Value::Null)
}

pub fn parse(value: Option<&serde_json::Value>) -> Option<Placement> {
    value.and_then(|v| serde_json::from_value(v.clone()).ok())
}

fn describe(selector: &BTreeMap<String, String>) -> String {
    selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn bytes(n: u64) -> String {
    const GIB: f64 = (1u64 << 30) as f64;
    const MIB: f64 = (1u64 << 20) as f64;
    let n = n as f64;
    if n >= GIB {
        format!("{:.1} GiB", n / GIB)
    } else {
        format!("{:.0} MiB", n / MIB)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(labels: serde_json::Value, selector: &[(&str, &str)], expected: bool) {
        let labels = labels.as_object().unwrap().clone();
        let selector = selector
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(
            matches(&labels, &selector),
            expected,
            "{labels:?} {selector:?}"
        );
    }

    #[test]
    fn selectors_match_every_pair_as_text() {
        check(
            json!({"region": "eu", "tier": "edge"}),
            &[("region", "eu")],
            true,
        );
        check(
            json!({"region": "eu"}),
            &[("region", "eu"), ("tier", "edge")],
            false,
        );
        check(json!({"region": "us"}), &[("region", "eu")], false);
        check(
            json!({"gpu": true, "cores": 8}),
            &[("gpu", "true"), ("cores", "8")],
            true,
        );
        check(json!({}), &[], true);
    }

    #[test]
    fn memory_needs_count_reservations_then_limits_times_replicas() {
        let loaded = crate::services::stacks::load(
            "s",
            "services:\n  a:\n    image: x\n    deploy:\n      replicas: 3\n      resources:\n        reservations: {memory: 64M}\n        limits: {memory: 256M}\n  b:\n    image: x\n    deploy:\n      resources:\n        limits: {memory: 128M}\n  c:\n    image: x\n",
            BTreeMap::new(),
        )
        .map_err(|d| format!("{d:?}"))
        .unwrap();
        assert_eq!(memory_needs(&loaded.stack), (3 * 64 + 128) << 20);
        assert_eq!(bytes(memory_needs(&loaded.stack)), "320 MiB");
    }
}
