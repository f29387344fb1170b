//! Conformance with real-world compose material (the data under `tests/conformance/`):
//!
//! - `interpolation`: compose-go's interpolation tables, through [`interpolate`];
//! - `loader`: compose-go's loader tables, each compose snippet loaded with [`load_from_str`]
//!   and rendered with [`render`], checked at the paths compose-go's tests check;
//! - `awesome-compose`: every example of docker/awesome-compose loaded with [`load`] and
//!   rendered, compared with what the reference loader (`docker-compose` 1.29.2, see
//!   `awesome-compose/regenerate.sh`) prints, through one comparison normalizer.
//!
//! It prints one agreement line per suite and every disagreement. It fails on a disagreement
//! not listed in `known-differences.yaml`, and on a listed one that now agrees (so the list
//! never goes stale). Run with `cargo test -p windflow-compose --test conformance --
//! --nocapture` to see the table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use windflow_compose::interpolate::interpolate;
use windflow_compose::render::render;
use windflow_compose::yaml::{self, Node};
use windflow_compose::{LoadOptions, load, load_from_str, shell};
use windflow_domain::units::parse_duration;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

/// A data file as JSON (read with the loader's own YAML reader, which keeps scalars typed).
fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let node = yaml::parse(&path.display().to_string(), &text)
        .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    to_json(&node)
}

fn to_json(node: &Node) -> Value {
    match &node.value {
        yaml::Value::Null => Value::Null,
        yaml::Value::Bool(b) => json!(b),
        yaml::Value::Int(i) => json!(i),
        yaml::Value::Float(f) => json!(f),
        yaml::Value::String(s) => json!(s),
        yaml::Value::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        yaml::Value::Map(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One case's outcome: `None` when it agrees, else what was expected and what came out.
type Outcome = Option<(String, String)>;

#[derive(Default)]
struct Suite {
    name: &'static str,
    cases: Vec<(String, Outcome)>,
}

// ---------------------------------------------------------------- interpolation

fn interpolation_suite() -> Suite {
    let doc = read_yaml(&data_dir().join("compose-go/interpolation.yaml"));
    let environments = &doc["environments"];
    let mut suite = Suite {
        name: "interpolation",
        ..Suite::default()
    };
    for case in doc["cases"].as_array().unwrap() {
        let environment = match &case["environment"] {
            Value::String(name) => &environments[name.as_str()],
            map => map,
        };
        let variables: BTreeMap<String, String> = environment
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), text(v))).collect())
            .unwrap_or_default();
        let template = text(&case["template"]);
        let got = interpolate(&template, &|name| variables.get(name).cloned());
        let outcome = match (got, case.get("error")) {
            (Err(message), Some(expected)) => {
                let expected = text(expected);
                (!message.contains(&expected))
                    .then(|| (format!("an error containing {expected:?}"), message))
            }
            (Ok(result), Some(expected)) => Some((
                format!("an error containing {:?}", text(expected)),
                format!("{:?}", result.text),
            )),
            (Err(message), None) => Some((text(&case["expected"]), format!("error: {message}"))),
            (Ok(result), None) => {
                let expected = text(&case["expected"]);
                let warnings = case.get("warnings").and_then(Value::as_u64);
                if result.text != expected {
                    Some((format!("{expected:?}"), format!("{:?}", result.text)))
                } else if let Some(n) = warnings.filter(|n| *n != result.unset.len() as u64) {
                    Some((
                        format!("{n} unset-variable warnings"),
                        format!("{:?}", result.unset),
                    ))
                } else {
                    None
                }
            }
        };
        suite.cases.push((text(&case["name"]), outcome));
    }
    suite
}

// ---------------------------------------------------------------- loader

/// One step of a path: a key or an index.
enum Step {
    Key(String),
    Index(usize),
}

/// `services.foo.ports[0]["key.with.dots"]` as steps.
fn parse_path(path: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("[\"") {
            let end = after.find("\"]").expect("unclosed [\"");
            steps.push(Step::Key(after[..end].to_string()));
            rest = &after[end + 2..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').expect("unclosed [");
            steps.push(Step::Index(after[..end].parse().expect("index")));
            rest = &after[end + 1..];
        } else {
            let rest_key = rest.strip_prefix('.').unwrap_or(rest);
            let end = rest_key.find(['.', '[']).unwrap_or(rest_key.len());
            steps.push(Step::Key(rest_key[..end].to_string()));
            rest = &rest_key[end..];
        }
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    steps
}

fn lookup<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let mut value = root;
    for step in parse_path(path) {
        value = match step {
            Step::Key(key) => value.as_object()?.get(&key)?,
            Step::Index(i) => value.as_array()?.get(i)?,
        };
    }
    Some(value)
}

/// Equal as compose values: numbers by value (`1.5` = `1.5`, `3` = `3.0`).
fn same(expected: &Value, got: &Value) -> bool {
    match (expected, got) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
        }
        _ => expected == got,
    }
}

fn loader_suite() -> Suite {
    let doc = read_yaml(&data_dir().join("compose-go/loader.yaml"));
    let mut suite = Suite {
        name: "loader",
        ..Suite::default()
    };
    for case in doc["cases"].as_array().unwrap() {
        let options = LoadOptions {
            working_dir: Some(PathBuf::from("/conformance")),
            environment: case["environment"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), text(v))).collect())
                .unwrap_or_default(),
            profiles: case["profiles"]
                .as_array()
                .map(|p| p.iter().map(text).collect())
                .unwrap_or_default(),
            ..LoadOptions::default()
        };
        let loaded = load_from_str("compose.yml", &text(&case["yaml"]), &options);
        let outcome = match (loaded, case.get("error")) {
            (Err(e), Some(expected)) => {
                let (expected, message) = (text(expected), e.to_string());
                (!message.contains(&expected))
                    .then(|| (format!("an error containing {expected:?}"), message))
            }
            (Ok(_), Some(expected)) => Some((
                format!("an error containing {:?}", text(expected)),
                "loaded".into(),
            )),
            (Err(e), None) => Some(("loads".into(), format!("error: {e}"))),
            (Ok(loaded), None) => {
                let project = render(&loaded.stack);
                let mut wrong = Vec::new();
                for (path, expected) in case["expect"].as_object().unwrap() {
                    let (got, ok) =
                        match path.strip_prefix("len(").and_then(|p| p.strip_suffix(')')) {
                            Some(inner) => {
                                let len = match lookup(&project, inner) {
                                    Some(Value::Array(a)) => a.len(),
                                    Some(Value::Object(o)) => o.len(),
                                    _ => 0,
                                };
                                (json!(len), same(expected, &json!(len)))
                            }
                            None => {
                                let got = lookup(&project, path).cloned().unwrap_or(Value::Null);
                                let ok = same(expected, &got);
                                (got, ok)
                            }
                        };
                    if !ok {
                        wrong.push((format!("{path}: {expected}"), format!("{path}: {got}")));
                    }
                }
                (!wrong.is_empty()).then(|| {
                    let (e, g): (Vec<_>, Vec<_>) = wrong.into_iter().unzip();
                    (e.join(", "), g.join(", "))
                })
            }
        };
        suite.cases.push((text(&case["name"]), outcome));
    }
    suite
}

// ---------------------------------------------------------------- awesome-compose

/// The fields both loaders agree to mean the same thing, in one shape: what `docker-compose`
/// 1.29.2 prints (short volume strings, published ports as numbers, commands as written,
/// `$$` for `$`) and what [`render`] prints (compose v2's shapes) both become this.
fn comparable(project: &Value, windflow: bool) -> Value {
    let mut out = Map::new();
    let empty = Map::new();
    let services = project["services"].as_object().unwrap_or(&empty);
    let mut rendered = Map::new();
    for (name, s) in services {
        let mut o = Map::new();
        // WindFlow names the image of a build-only service `<project>-<service>`: its own
        // addition, documented in compose::render.
        let image = s.get("image").filter(|i| {
            !(windflow
                && s.get("build").is_some()
                && i.as_str() == Some(&format!("{}-{name}", text(&project["name"]))))
        });
        o.insert("image".into(), image.cloned().unwrap_or(Value::Null));
        for key in ["command", "entrypoint"] {
            o.insert(key.into(), command(s.get(key)));
        }
        o.insert("environment".into(), environment(s.get("environment")));
        o.insert("ports".into(), list(s.get("ports"), port));
        o.insert("volumes".into(), list(s.get("volumes"), mount));
        let depends = match s.get("depends_on") {
            Some(Value::Array(names)) => names
                .iter()
                .map(|n| (text(n), json!("service_started")))
                .collect(),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| {
                    let c = v.get("condition").map_or("service_started".into(), text);
                    (k.clone(), json!(c))
                })
                .collect(),
            _ => Map::new(),
        };
        o.insert("depends_on".into(), Value::Object(depends));
        let mut networks: Vec<String> = match s.get("networks") {
            Some(Value::Array(names)) => names.iter().map(text).collect(),
            Some(Value::Object(map)) => map.keys().cloned().collect(),
            _ if s.get("network_mode").is_none() => vec!["default".into()],
            _ => Vec::new(),
        };
        networks.sort();
        o.insert("networks".into(), json!(networks));
        o.insert(
            "network_mode".into(),
            s.get("network_mode").cloned().unwrap_or(Value::Null),
        );
        o.insert(
            "restart".into(),
            s.get("restart").cloned().unwrap_or(Value::Null),
        );
        o.insert("healthcheck".into(), healthcheck(s.get("healthcheck")));
        for key in ["secrets", "configs"] {
            o.insert(key.into(), list(s.get(key), file_reference));
        }
        rendered.insert(name.clone(), Value::Object(o));
    }
    out.insert("services".into(), Value::Object(rendered));
    // Top-level objects: which exist, and what a secret or config is read from.
    for key in ["networks", "volumes"] {
        let names: Vec<&String> = project[key]
            .as_object()
            .map(|m| m.keys().filter(|k| *k != "default").collect())
            .unwrap_or_default();
        out.insert(key.into(), json!(names));
    }
    for key in ["secrets", "configs"] {
        let objects: Map<String, Value> = project[key]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        let source = json!({
                            "file": v.get("file"),
                            "environment": v.get("environment"),
                            "external": v.get("external").is_some_and(|e| e != &json!(false)),
                        });
                        (k.clone(), source)
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.insert(key.into(), Value::Object(objects));
    }
    unescape(Value::Object(out))
}

/// v1 prints a literal `$` as `$$` (so its output loads again); compose v2 prints it as is.
fn unescape(value: Value) -> Value {
    match value {
        Value::String(s) => Value::String(s.replace("$$", "$")),
        Value::Array(a) => Value::Array(a.into_iter().map(unescape).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, unescape(v))).collect()),
        other => other,
    }
}

fn list(value: Option<&Value>, f: fn(&Value) -> Value) -> Value {
    Value::Array(
        value
            .and_then(Value::as_array)
            .map(|a| a.iter().map(f).collect())
            .unwrap_or_default(),
    )
}

fn command(value: Option<&Value>) -> Value {
    match value {
        Some(Value::String(s)) => {
            shell::split(s).map_or_else(|e| json!(format!("!{e}")), |w| json!(w))
        }
        Some(Value::Array(a)) => json!(a.iter().map(text).collect::<Vec<_>>()),
        _ => Value::Null,
    }
}

fn environment(value: Option<&Value>) -> Value {
    let map: Map<String, Value> = match value {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    if v.is_null() {
                        Value::Null
                    } else {
                        json!(text(v))
                    },
                )
            })
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match text(i).split_once('=') {
                Some((k, v)) => (k.to_string(), json!(v)),
                None => (text(i), Value::Null),
            })
            .collect(),
        _ => Map::new(),
    };
    Value::Object(map)
}

fn port(value: &Value) -> Value {
    match value {
        Value::Object(p) => json!({
            "target": p.get("target").map(text),
            "published": p.get("published").map(text).filter(|p| !p.is_empty()),
            "protocol": p.get("protocol").map_or("tcp".into(), text),
            "host_ip": p.get("host_ip").map(text),
        }),
        // v1 prints `expose`-like short ports (`"5000/udp"`) as strings.
        other => {
            let s = text(other);
            let (rest, protocol) = s.split_once('/').unwrap_or((&s, "tcp"));
            let parts: Vec<&str> = rest.rsplitn(3, ':').collect();
            json!({
                "target": parts[0],
                "published": parts.get(1).filter(|p| !p.is_empty()),
                "protocol": protocol,
                "host_ip": parts.get(2),
            })
        }
    }
}

fn mount(value: &Value) -> Value {
    match value {
        Value::Object(m) => json!({
            "type": m.get("type").map(text),
            "source": m.get("source").map(text),
            "target": m.get("target").map(text),
            "read_only": m.get("read_only").is_some_and(|r| r == &json!(true)),
        }),
        other => {
            let s = text(other);
            let parts: Vec<&str> = s.split(':').collect();
            let (source, target, mode) = match parts.as_slice() {
                [target] => (None, *target, ""),
                [source, target] => (Some(*source), *target, ""),
                [source, target, mode, ..] => (Some(*source), *target, *mode),
                [] => (None, "", ""),
            };
            let bind = source.is_some_and(|s| s.starts_with(['/', '.', '~', '<']));
            json!({
                "type": if bind { "bind" } else { "volume" },
                "source": source,
                "target": target,
                "read_only": mode.split(',').any(|m| m == "ro"),
            })
        }
    }
}

fn healthcheck(value: Option<&Value>) -> Value {
    let Some(Value::Object(h)) = value else {
        return Value::Null;
    };
    let duration = |key: &str| {
        h.get(key).map(|d| {
            parse_duration(&text(d)).map_or_else(|e| e, |d| format!("{}ms", d.as_millis()))
        })
    };
    let test = match h.get("test") {
        Some(Value::String(s)) => json!(["CMD-SHELL", s]),
        other => other.cloned().unwrap_or(Value::Null),
    };
    json!({
        "test": test,
        "interval": duration("interval"),
        "timeout": duration("timeout"),
        "start_period": duration("start_period"),
        "retries": h.get("retries").map(text),
        "disable": h.get("disable").is_some_and(|d| d == &json!(true)),
    })
}

/// A service's secret or config: its source (WindFlow resolves the default target at load
/// time, compose at run time, so targets are not compared).
fn file_reference(value: &Value) -> Value {
    match value {
        Value::Object(r) => json!(text(&r["source"])),
        other => json!(text(other)),
    }
}

fn awesome_compose_suite() -> Suite {
    let root = data_dir().join("awesome-compose");
    let mut suite = Suite {
        name: "awesome-compose",
        ..Suite::default()
    };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.yaml").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let file = [
            "compose.yaml",
            "compose.yml",
            "docker-compose.yaml",
            "docker-compose.yml",
        ]
        .iter()
        .map(|f| dir.join(f))
        .find(|f| f.is_file())
        .unwrap();
        let expected = read_yaml(&dir.join("expected.yaml"));
        let options = LoadOptions {
            files: vec![file],
            working_dir: Some(dir.clone()),
            // regenerate.sh runs the reference with this environment and nothing else.
            environment: [("HOME".to_string(), "/nonexistent".to_string())].into(),
            ..LoadOptions::default()
        };
        let outcome = match (load(&options), expected.get("error")) {
            (Err(_), Some(_)) => None,
            (Ok(_), Some(_)) => Some(("an error (v1 refuses it)".into(), "loaded".into())),
            (Err(e), None) => Some(("loads".into(), format!("error: {e}"))),
            (Ok(loaded), None) => {
                let rendered = render(&loaded.stack).to_string().replace(
                    &dir.to_string_lossy()
                        .replace('\\', "\\\\")
                        .replace('"', "\\\""),
                    "<project>",
                );
                let rendered: Value = serde_json::from_str(&rendered).unwrap();
                let (want, got) = (comparable(&expected, false), comparable(&rendered, true));
                difference(&want, &got, "")
            }
        };
        suite.cases.push((name, outcome));
    }
    suite
}

/// The first places where two comparable projects differ, as `path: value` lines.
fn difference(want: &Value, got: &Value, path: &str) -> Outcome {
    let mut wrong = Vec::new();
    collect_differences(want, got, path, &mut wrong);
    (!wrong.is_empty()).then(|| {
        let (e, g): (Vec<_>, Vec<_>) = wrong.into_iter().unzip();
        (e.join(", "), g.join(", "))
    })
}

fn collect_differences(want: &Value, got: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match (want, got) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let null = Value::Null;
                collect_differences(
                    a.get(key).unwrap_or(&null),
                    b.get(key).unwrap_or(&null),
                    &format!("{path}.{key}"),
                    out,
                );
            }
        }
        _ if same(want, got) => {}
        _ => out.push((format!("{path}: {want}"), format!("{path}: {got}"))),
    }
}

// ---------------------------------------------------------------- the test

#[test]
fn conformance() {
    let known = read_yaml(&data_dir().join("known-differences.yaml"));
    let known: BTreeMap<String, String> = known
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), text(v))).collect())
        .unwrap_or_default();
    let suites = [
        interpolation_suite(),
        loader_suite(),
        awesome_compose_suite(),
    ];
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    println!("compose conformance (agreeing cases / cases):");
    for suite in &suites {
        let agree = suite.cases.iter().filter(|(_, o)| o.is_none()).count();
        println!("  {:<16} {agree}/{}", suite.name, suite.cases.len());
    }
    for suite in &suites {
        for (case, outcome) in &suite.cases {
            let id = format!("{}/{case}", suite.name);
            assert!(seen.insert(id.clone()), "duplicate case {id}");
            match (outcome, known.get(&id)) {
                (Some((expected, got)), reason) => {
                    println!("\n{id}{}", if reason.is_some() { " (known)" } else { "" });
                    println!("  expected: {expected}\n  got:      {got}");
                    if let Some(reason) = reason {
                        println!("  reason:   {reason}");
                    } else {
                        failures.push(format!("{id}: a new disagreement"));
                    }
                }
                (None, Some(_)) => failures.push(format!(
                    "{id}: agrees now; remove it from known-differences.yaml"
                )),
                (None, None) => {}
            }
        }
    }
    for id in known.keys() {
        if !seen.contains(id) {
            failures.push(format!(
                "{id}: listed in known-differences.yaml but no such case"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
