//! The Kubernetes planner, without I/O: the desired objects against the live ones and the
//! server's own answer to a dry-run apply of each, to a [`KubePlan`].
//!
//! An object that exists is changed exactly when the dry-run apply of its desired body gives
//! something other than what is live (the API server applies defaults, admission and field
//! ownership the same way for both), so an unchanged stack plans nothing and a change names the
//! fields that differ. Objects labelled with the stack that are no longer desired are pruned,
//! except claims: a volume keeps its data until `down --volumes`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::spec::{Kind, Translation};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Delete,
}

/// One change to one object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KubeStep {
    pub action: Action,
    pub kind: Kind,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// For an update, the fields that change (`spec.template.spec.containers[web].env`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

/// What `up` changes on the cluster: creates and updates in apply order, then deletions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KubePlan {
    pub namespace: String,
    pub steps: Vec<KubeStep>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl KubePlan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// One line per change, as the other modes print theirs.
    pub fn describe(&self) -> Vec<String> {
        self.steps
            .iter()
            .map(|s| {
                let verb = match s.action {
                    Action::Create => "create",
                    Action::Update => "update",
                    Action::Delete => "delete",
                };
                let object = format!("{}/{}", s.kind.short(), s.name);
                let mut line = match s.kind {
                    Kind::Namespace => format!("{verb} {object}"),
                    _ => format!("{verb} {object} in {}", self.namespace),
                };
                if !s.fields.is_empty() {
                    const SHOWN: usize = 4;
                    let mut fields = s.fields.iter().take(SHOWN).cloned().collect::<Vec<_>>();
                    if s.fields.len() > SHOWN {
                        fields.push(format!("{} more", s.fields.len() - SHOWN));
                    }
                    line.push_str(&format!(" ({})", fields.join(", ")));
                }
                line
            })
            .collect()
    }
}

/// A live (or dry-run) object without what the server alone writes: status, managed fields,
/// versions, timestamps, ids. Two objects equal after this are the same configuration.
pub fn strip(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
    }
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in [
            "managedFields",
            "resourceVersion",
            "generation",
            "uid",
            "creationTimestamp",
            "selfLink",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ] {
            meta.remove(field);
        }
        if let Some(annotations) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            annotations.remove("deployment.kubernetes.io/revision");
            if annotations.is_empty() {
                meta.remove("annotations");
            }
        }
    }
    object
}

/// The paths at which `a` and `b` differ, with list items that have a `name` matched by it
/// (`spec.template.spec.containers[web].image`).
pub fn changed_paths(a: &Value, b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff(a, b, String::new(), &mut out);
    out
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn diff(a: &Value, b: &Value, path: String, out: &mut Vec<String>) {
    if a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for key in keys {
                let null = Value::Null;
                diff(
                    x.get(key).unwrap_or(&null),
                    y.get(key).unwrap_or(&null),
                    join(&path, key),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if named(x) && named(y) => {
            let by_name = |list: &Vec<Value>| -> BTreeMap<String, Value> {
                list.iter()
                    .map(|v| {
                        (
                            v["name"].as_str().unwrap_or_default().to_string(),
                            v.clone(),
                        )
                    })
                    .collect()
            };
            let (x, y) = (by_name(x), by_name(y));
            let names: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for name in names {
                let null = Value::Null;
                diff(
                    x.get(name).unwrap_or(&null),
                    y.get(name).unwrap_or(&null),
                    format!("{path}[{name}]"),
                    out,
                );
            }
        }
        _ => out.push(if path.is_empty() { ".".into() } else { path }),
    }
}

fn named(list: &[Value]) -> bool {
    !list.is_empty()
        && list
            .iter()
            .all(|v| v.get("name").is_some_and(Value::is_string))
}

/// The plan: `live` holds the stack's objects the cluster has (stripped), keyed by kind and
/// name, `namespace_exists` whether its namespace does; `dry_run` the server's answer to a
/// dry-run apply of each desired object that exists (stripped).
pub fn plan(
    translation: &Translation,
    namespace_exists: bool,
    live: &BTreeMap<(Kind, String), Value>,
    dry_run: &BTreeMap<(Kind, String), Value>,
) -> KubePlan {
    let mut steps = Vec::new();
    let mut warnings = translation.warnings.clone();
    let mut desired = std::collections::BTreeSet::new();
    for object in &translation.objects {
        let key = (object.kind, object.name.clone());
        desired.insert(key.clone());
        let step = |action, fields| KubeStep {
            action,
            kind: object.kind,
            name: object.name.clone(),
            service: object.service.clone(),
            fields,
        };
        if object.kind == Kind::Namespace {
            if !namespace_exists {
                steps.push(step(Action::Create, vec![]));
            }
            continue;
        }
        match (live.get(&key), dry_run.get(&key)) {
            (None, _) => steps.push(step(Action::Create, vec![])),
            (Some(current), Some(applied)) => {
                // The bookkeeping annotation changes with any change; it is not one itself.
                let bookkeeping =
                    format!("metadata.annotations.{}", super::spec::APPLIED_ANNOTATION);
                let fields: Vec<String> = changed_paths(current, applied)
                    .into_iter()
                    .filter(|f| *f != bookkeeping)
                    .collect();
                if !fields.is_empty() {
                    steps.push(step(Action::Update, fields));
                }
            }
            (Some(_), None) => steps.push(step(Action::Update, vec![])),
        }
    }
    for (kind, name) in live.keys() {
        if desired.contains(&(*kind, name.clone())) {
            continue;
        }
        if *kind == Kind::PersistentVolumeClaim {
            warnings.push(format!(
                "volume claim {name} is no longer used by the stack: it keeps its data (`down --volumes` removes it)"
            ));
            continue;
        }
        steps.push(KubeStep {
            action: Action::Delete,
            kind: *kind,
            name: name.clone(),
            service: None,
            fields: vec![],
        });
    }
    KubePlan {
        namespace: translation.namespace.clone(),
        steps,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn strip_drops_what_the_server_writes() {
        let live = json!({
            "metadata": { "name": "web", "resourceVersion": "7", "generation": 3, "uid": "u",
                          "managedFields": [], "creationTimestamp": "t",
                          "annotations": { "deployment.kubernetes.io/revision": "2" } },
            "spec": { "replicas": 1 },
            "status": { "readyReplicas": 1 },
        });
        assert_eq!(
            strip(&live),
            json!({ "metadata": { "name": "web" }, "spec": { "replicas": 1 } })
        );
    }

    #[test]
    fn changes_name_their_fields_with_list_items_by_name() {
        let a = json!({ "spec": { "template": { "spec": { "containers": [
            { "name": "web", "image": "a", "env": [{ "name": "V", "value": "1" }] },
            { "name": "side", "image": "s" } ] } }, "replicas": 1 } });
        let b = json!({ "spec": { "template": { "spec": { "containers": [
            { "name": "side", "image": "s" },
            { "name": "web", "image": "b", "env": [{ "name": "V", "value": "2" }] } ] } }, "replicas": 1 } });
        assert_eq!(
            changed_paths(&a, &b),
            vec![
                "spec.template.spec.containers[web].env[V].value",
                "spec.template.spec.containers[web].image",
            ]
        );
        assert!(changed_paths(&a, &a).is_empty());
        assert_eq!(
            changed_paths(&json!({"ports": [80]}), &json!({"ports": [81]})),
            vec!["ports"]
        );
    }

    fn translation(objects: &[(Kind, &str)]) -> Translation {
        Translation {
            namespace: "shop".into(),
            objects: objects
                .iter()
                .map(|(kind, name)| super::super::spec::Manifest {
                    kind: *kind,
                    name: name.to_string(),
                    service: None,
                    body: json!({}),
                })
                .collect(),
            waves: vec![],
            warnings: vec![],
        }
    }

    #[test]
    fn plans_creates_updates_and_prunes_but_keeps_claims() {
        let t = translation(&[
            (Kind::Namespace, "shop"),
            (Kind::Secret, "key-2"),
            (Kind::Service, "web"),
            (Kind::Deployment, "web"),
            (Kind::Deployment, "api"),
        ]);
        let obj = |v: u64| json!({ "spec": { "replicas": v } });
        let live: BTreeMap<(Kind, String), Value> = [
            ((Kind::Secret, "key-1".to_string()), obj(0)),
            ((Kind::Service, "web".to_string()), obj(1)),
            ((Kind::Deployment, "web".to_string()), obj(1)),
            ((Kind::PersistentVolumeClaim, "old".to_string()), obj(0)),
        ]
        .into();
        let dry: BTreeMap<(Kind, String), Value> = [
            ((Kind::Service, "web".to_string()), obj(1)),
            ((Kind::Deployment, "web".to_string()), obj(2)),
        ]
        .into();
        let plan = plan(&t, true, &live, &dry);
        assert_eq!(
            plan.describe(),
            vec![
                "create secret/key-2 in shop",
                "update deployment/web in shop (spec.replicas)",
                "create deployment/api in shop",
                "delete secret/key-1 in shop",
            ]
        );
        assert!(plan.warnings[0].contains("volume claim old"));

        let unchanged = super::plan(
            &translation(&[(Kind::Namespace, "shop"), (Kind::Service, "web")]),
            true,
            &[((Kind::Service, "web".to_string()), obj(1))].into(),
            &[((Kind::Service, "web".to_string()), obj(1))].into(),
        );
        assert!(unchanged.is_empty());
        let fresh = super::plan(
            &translation(&[(Kind::Namespace, "shop")]),
            false,
            &BTreeMap::new(),
            &BTreeMap::new(),
        );
        assert_eq!(fresh.describe(), vec!["create namespace/shop"]);
    }
}
