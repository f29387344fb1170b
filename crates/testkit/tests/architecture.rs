//! The invariants ARCHITECTURE.md states that a machine can check, read from the source:
//! which crate may depend on which, where the Docker Engine API client (`bollard`) may be
//! used, that HTTP handlers reach neither the store nor an engine, that the server's
//! behaviour lives in its services, and that no crate has modules importing each other.
//!
//! Test code is exempt: a test may assert through the Engine API or read the store directly.
//! A source file's test module is the `#[cfg(test)]` item at its end (the workspace's
//! convention), so everything from there on is skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .expect("crates/testkit sits two levels below the workspace")
        .to_path_buf()
}

/// Every `.rs` file under `dir`, with its path relative to `dir`.
fn rust_files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).expect("reading a source directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path
                    .strip_prefix(dir)
                    .expect("below dir")
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = std::fs::read_to_string(&path).expect("reading a source file");
                out.push((relative, text));
            }
        }
    }
    out.sort();
    out
}

/// The file without its test module, and without line comments (a comment may name a type).
fn production_code(relative: &str, text: &str) -> String {
    if relative.ends_with("tests.rs") && relative.contains('/') {
        return String::new();
    }
    let code = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    };
    code.lines()
        .map(|line| match line.trim_start() {
            l if l.starts_with("//") => "",
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn source_of(krate: &str) -> Vec<(String, String)> {
    let dir = workspace().join("crates").join(krate).join("src");
    rust_files(&dir)
        .into_iter()
        .map(|(relative, text)| {
            let code = production_code(&relative, &text);
            (relative, code)
        })
        .collect()
}

/// The `windflow-*` crates a crate's `[dependencies]` name (dev-dependencies excluded).
fn windflow_dependencies(krate: &str) -> BTreeSet<String> {
    let manifest = workspace().join("crates").join(krate).join("Cargo.toml");
    let text = std::fs::read_to_string(manifest).expect("reading a manifest");
    let mut in_dependencies = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
            continue;
        }
        if in_dependencies && let Some(name) = line.strip_prefix("windflow-") {
            let name: String = name
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            out.insert(name);
        }
    }
    out
}

#[test]
fn crates_depend_one_way() {
    // What each crate may link; anything else is a new arrow on the map, to be argued there.
    let allowed: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("domain", &[][..]),
        ("acme", &[][..]),
        ("protocol", &["domain"][..]),
        ("compose", &["domain"][..]),
        ("storage", &["domain"][..]),
        ("engine", &["domain"][..]),
        ("testkit", &["domain", "engine", "dns"][..]),
        ("agent", &["engine", "protocol", "gateway"][..]),
        ("gateway", &["domain"][..]),
        ("dns", &[][..]),
        ("advisor", &["domain", "compose"][..]),
        ("catalog", &["domain", "compose"][..]),
        ("ai", &["compose", "domain"][..]),
        ("backup", &["compose"][..]),
        ("workflow", &[][..]),
        ("notify", &[][..]),
        (
            "server",
            &[
                "domain", "compose", "engine", "storage", "protocol", "acme", "gateway", "dns",
                "advisor", "catalog", "ai", "backup", "workflow", "notify",
            ][..],
        ),
        (
            "cli",
            &[
                "domain", "compose", "engine", "server", "agent", "protocol", "advisor", "ai",
                "workflow",
            ][..],
        ),
    ]);
    let crates: Vec<String> = std::fs::read_dir(workspace().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| {
            workspace()
                .join("crates")
                .join(name)
                .join("Cargo.toml")
                .exists()
        })
        .collect();
    for krate in &crates {
        let may: BTreeSet<String> = allowed
            .get(krate.as_str())
            .unwrap_or_else(|| panic!("crate {krate} is not on the map (crates_depend_one_way)"))
            .iter()
            .map(|s| s.to_string())
            .collect();
        let has = windflow_dependencies(krate);
        let extra: Vec<_> = has.difference(&may).collect();
        assert!(
            extra.is_empty(),
            "crate {krate} depends on {extra:?}, which the map does not allow"
        );
    }
}

#[test]
fn the_engine_api_client_is_used_only_by_the_docker_driver_modules() {
    // The engine's Docker driver and what speaks the Docker protocol for it: connecting
    // (TLS, SSH), registry credentials, the Swarm driver, and the pure translation into
    // Swarm's spec types.
    let engine_drivers = |path: &str| {
        path == "docker.rs"
            || path.starts_with("docker/")
            || path.starts_with("connect/")
            || path == "credentials.rs"
            || path == "swarm/docker.rs"
            || path == "swarm/spec.rs"
    };
    let mut offenders = Vec::new();
    for krate in [
        "domain", "protocol", "compose", "storage", "engine", "agent", "server", "cli", "gateway",
    ] {
        for (path, code) in source_of(krate) {
            if !code.contains("bollard") {
                continue;
            }
            if krate == "engine" && engine_drivers(&path) {
                continue;
            }
            // The gateway's containers (published ports, uploads, exec of `caddy reload`
            // and HAProxy's reload) are driven from their runtime modules; see
            // ARCHITECTURE.md.
            if krate == "gateway" && (path == "runtime.rs" || path == "tcp_runtime.rs") {
                continue;
            }
            offenders.push(format!("crates/{krate}/src/{path}"));
        }
    }
    assert!(
        offenders.is_empty(),
        "bollard is used outside the Docker driver modules: {offenders:?} — go through \
         windflow_engine's Driver or a function of the driver module instead"
    );
}

#[test]
fn the_kubernetes_client_is_used_only_by_the_kubernetes_driver_module() {
    // kube-rs and its API types are the Kubernetes driver's (`kube::client`); the translation
    // and the planner see plain JSON values.
    let mut offenders = Vec::new();
    for krate in [
        "domain", "protocol", "compose", "storage", "engine", "agent", "server", "cli", "gateway",
    ] {
        for (path, code) in source_of(krate) {
            let uses = code.contains("k8s_openapi") || code.contains("use kube::");
            if uses && !(krate == "engine" && path == "kube/client.rs") {
                offenders.push(format!("crates/{krate}/src/{path}"));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "kube-rs is used outside the Kubernetes driver: {offenders:?} — go through \
         windflow_engine::kube instead"
    );
}

#[test]
fn handlers_reach_neither_the_store_nor_an_engine() {
    let mut offenders = Vec::new();
    for (path, code) in source_of("server") {
        if !path.starts_with("routes/") {
            continue;
        }
        for needle in [
            ".store",
            "windflow_storage::Store",
            "windflow_engine",
            "bollard",
        ] {
            if code.contains(needle) {
                offenders.push(format!("crates/server/src/{path}: {needle}"));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "handlers call a service instead: {offenders:?}"
    );
}

#[test]
fn the_servers_behaviour_lives_in_its_services() {
    // `App` is shared infrastructure with its constructor; behaviour is in `services`.
    let impls: Vec<_> = source_of("server")
        .into_iter()
        .filter(|(_, code)| code.contains("impl App {") || code.contains("impl App{"))
        .map(|(path, _)| path)
        .collect();
    assert_eq!(impls, ["state.rs"], "impl App blocks outside state.rs");
}

/// The module a `crate::a::b::c` path names: its longest prefix that is a module.
fn module_of(path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find(|candidate| modules.contains(candidate))
}

/// Groups of modules of `krate` that import each other (strongly connected, more than one).
fn module_cycles(krate: &str) -> Vec<Vec<String>> {
    let files = source_of(krate);
    let name = |path: &str| {
        let stem = path.trim_end_matches(".rs").replace("/mod", "");
        stem.replace('/', "::")
    };
    let modules: BTreeSet<String> = files.iter().map(|(p, _)| name(p)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, code) in &files {
        let from = name(path);
        let mut targets = BTreeSet::new();
        for (at, _) in code.match_indices("crate::") {
            let rest: String = code[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let rest = rest.trim_end_matches(':');
            if let Some(module) = module_of(rest, &modules)
                && module != from
            {
                targets.insert(module);
            }
        }
        graph.insert(from, targets);
    }
    // Tarjan's strongly connected components.
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on_stack: BTreeSet<String>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    impl Walk<'_> {
        fn visit(&mut self, v: &str) {
            self.index.insert(v.to_string(), self.next);
            self.low.insert(v.to_string(), self.next);
            self.next += 1;
            self.stack.push(v.to_string());
            self.on_stack.insert(v.to_string());
            let graph = self.graph;
            for w in graph.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v.to_string(), low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v.to_string(), low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(&w);
                    let done = w == v;
                    component.push(w);
                    if done {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph: &graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.found
}

#[test]
fn no_two_modules_import_each_other() {
    for krate in [
        "server", "cli", "engine", "storage", "compose", "agent", "domain", "dns", "catalog", "ai",
        "backup",
    ] {
        let cycles = module_cycles(krate);
        assert!(
            cycles.is_empty(),
            "crate {krate}: these modules import each other: {cycles:?}"
        );
    }
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let modules: BTreeSet<String> = ["a", "a::b", "c"].iter().map(|s| s.to_string()).collect();
    assert_eq!(module_of("a::b::f", &modules).as_deref(), Some("a::b"));
    assert_eq!(module_of("a::g", &modules).as_deref(), Some("a"));
    assert_eq!(module_of("z::g", &modules), None);
}
