//! A stack's backup policy: what to back up, where, when, how long to keep it, and how to
//! prove a restore works. Declared in the compose file under the top-level
//! `x-windflow.backup` block ([`Policy::from_compose`], errors with file, line and field) or
//! set through the API as JSON ([`Policy::validate`] checks it the same way).
//!
//! ```yaml
//! x-windflow:
//!   backup:
//!     repository: offsite            # an organization's backup repository, by name
//!     schedule: "0 3 * * *"          # 5-field cron
//!     timezone: Europe/Paris         # IANA zone of the schedule (default UTC)
//!     retention: {last: 3, daily: 7, weekly: 4, monthly: 6}
//!     volumes: [data, uploads]       # default: every named volume of the stack
//!     binds: false                   # also bind-mounted folders (default false)
//!     databases: auto                # auto (detected from images) | none | per service:
//!     #  db: {engine: postgres, database: app, user: app}
//!     consistency: live              # live | stop (stop the volume's services while copying)
//!     exclude: ["*.tmp", "cache"]
//!     hooks:
//!       pre:  [{service: app, command: [app, maintenance, "on"]}]
//!       post: [{service: app, command: [app, maintenance, "off"]}]
//!     check: {schedule: "0 5 * * 0", read_data: 5}   # restic check, reading 5 % of the data
//!     drill:                         # restore into a throwaway stack and check it
//!       schedule: "0 6 * * 0"
//!       checks:
//!         - {service: db, command: [psql, -U, app, -tAc, "select count(*) from items"], expect: "42"}
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use windflow_compose::Diagnostic;
use windflow_compose::fields::FieldReader;
use windflow_compose::yaml::{self, Node, Value};

pub use crate::engines::DatabaseDecl;
use crate::engines::Engine;
use crate::schedule::Schedule;

/// How many snapshots of each item are kept (restic's `forget --keep-*`). All zero keeps
/// everything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    #[serde(default)]
    pub last: u32,
    #[serde(default)]
    pub hourly: u32,
    #[serde(default)]
    pub daily: u32,
    #[serde(default)]
    pub weekly: u32,
    #[serde(default)]
    pub monthly: u32,
    #[serde(default)]
    pub yearly: u32,
}

impl Retention {
    pub fn keeps_everything(&self) -> bool {
        *self == Retention::default()
    }

    /// The `forget` flags.
    pub fn flags(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (flag, n) in [
            ("--keep-last", self.last),
            ("--keep-hourly", self.hourly),
            ("--keep-daily", self.daily),
            ("--keep-weekly", self.weekly),
            ("--keep-monthly", self.monthly),
            ("--keep-yearly", self.yearly),
        ] {
            if n > 0 {
                out.push(flag.to_string());
                out.push(n.to_string());
            }
        }
        out
    }
}

/// Whether services are stopped while their volumes are copied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Consistency {
    /// Copied while running (databases are dumped consistently either way).
    #[default]
    Live,
    /// The services that mount a volume are stopped for its copy, then started again.
    Stop,
}

/// A command run in a service's container (argv; never through a shell).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Hook {
    pub service: String,
    pub command: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Hooks {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pre: Vec<Hook>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post: Vec<Hook>,
}

/// A scheduled integrity check of the repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckPolicy {
    pub schedule: String,
    /// The percentage of the data read back and verified (0: structure only).
    #[serde(default)]
    pub read_data: u8,
}

/// One check a restore drill runs in the restored stack: a command in a service, which must
/// exit 0 and, when `expect` is given, print it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrillCheck {
    pub service: String,
    pub command: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<String>,
}

/// Scheduled restore drills.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrillPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<DrillCheck>,
}

/// A stack's backup policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The repository's name in the organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// When backups run; manual only when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default)]
    pub retention: Retention,
    /// The named volumes (compose keys) to back up; every one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<Vec<String>>,
    /// Also back up bind-mounted folders.
    #[serde(default)]
    pub binds: bool,
    /// Dump the databases detected from the services' images.
    #[serde(default = "yes")]
    pub detect_databases: bool,
    /// Databases declared per service (override or complete detection).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub databases: BTreeMap<String, DatabaseDecl>,
    #[serde(default)]
    pub consistency: Consistency,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub hooks: Hooks,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<DrillPolicy>,
}

fn yes() -> bool {
    true
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            repository: None,
            schedule: None,
            timezone: None,
            retention: Retention::default(),
            volumes: None,
            binds: false,
            detect_databases: true,
            databases: BTreeMap::new(),
            consistency: Consistency::Live,
            exclude: Vec::new(),
            hooks: Hooks::default(),
            check: None,
            drill: None,
        }
    }
}

/// The keys `x-windflow.backup` knows.
const KEYS: &[&str] = &[
    "repository",
    "schedule",
    "timezone",
    "retention",
    "volumes",
    "binds",
    "databases",
    "consistency",
    "exclude",
    "hooks",
    "check",
    "drill",
];
const RETENTION_KEYS: &[&str] = &["last", "hourly", "daily", "weekly", "monthly", "yearly"];
const DATABASE_KEYS: &[&str] = &["engine", "database", "user"];
const HOOK_KEYS: &[&str] = &["service", "command"];
const CHECK_KEYS: &[&str] = &["schedule", "read_data"];
const DRILL_KEYS: &[&str] = &["schedule", "checks"];
const DRILL_CHECK_KEYS: &[&str] = &["service", "command", "expect"];

/// The most hooks, drill checks or declared databases one policy may hold.
const MAX_ITEMS: usize = 64;

impl Policy {
    /// Reads the `x-windflow.backup` block of a compose file; `Ok(None)` when there is none.
    pub fn from_compose(file: &str, text: &str) -> Result<Option<Policy>, Vec<Diagnostic>> {
        let root = yaml::parse(file, text)?;
        let Some(block) = root.at(&["x-windflow", "backup"]) else {
            return Ok(None);
        };
        let mut r = FieldReader::new(file);
        let policy = read(&mut r, block);
        if r.errors.is_empty() {
            // The same checks as an API-set policy, located at the block.
            for (path, message) in policy.problems() {
                r.errors
                    .push(Diagnostic::new(file, Some(block.line), &path, message));
            }
        }
        if r.errors.is_empty() {
            Ok(Some(policy))
        } else {
            Err(r.errors)
        }
    }

    /// Every problem of the policy, as (field, message): schedules, zones, names, limits.
    pub fn problems(&self) -> Vec<(String, String)> {
        const AT: &str = "x-windflow.backup";
        let mut out = Vec::new();
        let mut push = |field: &str, message: String| out.push((format!("{AT}.{field}"), message));
        if let Some(name) = &self.repository
            && (name.trim().is_empty() || name.len() > 64)
        {
            push(
                "repository",
                "a repository name of 1 to 64 characters".into(),
            );
        }
        if let Some(zone) = &self.timezone
            && self.schedule.is_none()
            && self.check.is_none()
            && self
                .drill
                .as_ref()
                .and_then(|d| d.schedule.as_ref())
                .is_none()
        {
            push("timezone", format!("{zone:?} is given but no schedule is"));
        }
        let zone = self.timezone.as_deref();
        if let Some(s) = &self.schedule
            && let Err(e) = Schedule::parse(s, zone)
        {
            push("schedule", e);
        }
        if let Some(check) = &self.check {
            if let Err(e) = Schedule::parse(&check.schedule, zone) {
                push("check.schedule", e);
            }
            if check.read_data > 100 {
                push("check.read_data", "a percentage, 0 to 100".into());
            }
        }
        if let Some(drill) = &self.drill {
            if let Some(s) = &drill.schedule
                && let Err(e) = Schedule::parse(s, zone)
            {
                push("drill.schedule", e);
            }
            if drill.checks.len() > MAX_ITEMS {
                push("drill.checks", format!("at most {MAX_ITEMS} checks"));
            }
            for (i, c) in drill.checks.iter().enumerate() {
                if c.service.is_empty() {
                    push(&format!("drill.checks[{i}].service"), "missing".into());
                }
                if c.command.is_empty() {
                    push(
                        &format!("drill.checks[{i}].command"),
                        "an empty command".into(),
                    );
                }
            }
        }
        for (kind, hooks) in [("pre", &self.hooks.pre), ("post", &self.hooks.post)] {
            if hooks.len() > MAX_ITEMS {
                push(
                    &format!("hooks.{kind}"),
                    format!("at most {MAX_ITEMS} hooks"),
                );
            }
            for (i, h) in hooks.iter().enumerate() {
                if h.service.is_empty() {
                    push(&format!("hooks.{kind}[{i}].service"), "missing".into());
                }
                if h.command.is_empty() {
                    push(
                        &format!("hooks.{kind}[{i}].command"),
                        "an empty command".into(),
                    );
                }
            }
        }
        if self.databases.len() > MAX_ITEMS {
            push("databases", format!("at most {MAX_ITEMS} databases"));
        }
        for (i, pattern) in self.exclude.iter().enumerate() {
            if pattern.is_empty() || pattern.contains('\0') || pattern.starts_with('-') {
                push(
                    &format!("exclude[{i}]"),
                    format!("invalid pattern {pattern:?}"),
                );
            }
        }
        if let Some(volumes) = &self.volumes {
            for (i, v) in volumes.iter().enumerate() {
                if v.is_empty() {
                    push(&format!("volumes[{i}]"), "an empty volume name".into());
                }
            }
        }
        out
    }

    /// Problems against the stack it applies to: volumes and services it names must exist.
    pub fn problems_in_stack(&self, volumes: &[&str], services: &[&str]) -> Vec<(String, String)> {
        const AT: &str = "x-windflow.backup";
        let mut out = Vec::new();
        let service = |name: &str| services.contains(&name);
        for (i, v) in self.volumes.iter().flatten().enumerate() {
            if !volumes.contains(&v.as_str()) {
                out.push((
                    format!("{AT}.volumes[{i}]"),
                    format!(
                        "the stack has no named volume {v:?} (it has: {})",
                        volumes.join(", ")
                    ),
                ));
            }
        }
        for name in self.databases.keys() {
            if !service(name) {
                out.push((
                    format!("{AT}.databases.{name}"),
                    format!("the stack has no service {name:?}"),
                ));
            }
        }
        for (kind, hooks) in [("pre", &self.hooks.pre), ("post", &self.hooks.post)] {
            for (i, h) in hooks.iter().enumerate() {
                if !service(&h.service) {
                    out.push((
                        format!("{AT}.hooks.{kind}[{i}].service"),
                        format!("the stack has no service {:?}", h.service),
                    ));
                }
            }
        }
        for (i, c) in self.drill.iter().flat_map(|d| &d.checks).enumerate() {
            if !service(&c.service) {
                out.push((
                    format!("{AT}.drill.checks[{i}].service"),
                    format!("the stack has no service {:?}", c.service),
                ));
            }
        }
        out
    }
}

fn read(r: &mut FieldReader<'_>, block: &Node) -> Policy {
    const AT: &str = "x-windflow.backup";
    let mut p = Policy::default();
    if block.as_map().is_none() {
        r.error(
            block,
            AT,
            format!("expected a mapping, got {}", block.describe()),
        );
        return p;
    }
    r.known_keys(block, AT, KEYS);
    let at = |key: &str| format!("{AT}.{key}");
    if let Some(n) = block.get("repository") {
        p.repository = r.text(n, &at("repository"));
    }
    if let Some(n) = block.get("schedule") {
        p.schedule = r.text(n, &at("schedule"));
    }
    if let Some(n) = block.get("timezone") {
        p.timezone = r.text(n, &at("timezone"));
    }
    if let Some(n) = block.get("retention") {
        p.retention = retention(r, n, &at("retention"));
    }
    if let Some(n) = block.get("volumes") {
        p.volumes = match &n.value {
            Value::String(s) if s == "all" => None,
            _ => Some(r.words(n, &at("volumes"))),
        };
    }
    if let Some(n) = block.get("binds") {
        p.binds = r.boolean(n, &at("binds")).unwrap_or(false);
    }
    if let Some(n) = block.get("databases") {
        databases(r, n, &at("databases"), &mut p);
    }
    if let Some(n) = block.get("consistency") {
        match r.text(n, &at("consistency")).as_deref() {
            Some("live") => p.consistency = Consistency::Live,
            Some("stop") => p.consistency = Consistency::Stop,
            Some(other) => r.error(
                n,
                &at("consistency"),
                format!("{other:?}: expected live or stop"),
            ),
            None => {}
        }
    }
    if let Some(n) = block.get("exclude") {
        p.exclude = r.words(n, &at("exclude"));
    }
    if let Some(n) = block.get("hooks") {
        let path = at("hooks");
        if n.as_map().is_some() {
            r.known_keys(n, &path, &["pre", "post"]);
            if let Some(list) = n.get("pre") {
                p.hooks.pre = hooks(r, list, &format!("{path}.pre"));
            }
            if let Some(list) = n.get("post") {
                p.hooks.post = hooks(r, list, &format!("{path}.post"));
            }
        } else if !n.is_null() {
            r.error(
                n,
                &path,
                format!("expected a mapping with pre and post, got {}", n.describe()),
            );
        }
    }
    if let Some(n) = block.get("check") {
        let path = at("check");
        if n.as_map().is_some() {
            r.known_keys(n, &path, CHECK_KEYS);
            let schedule = match n.get("schedule") {
                Some(s) => r.text(s, &format!("{path}.schedule")),
                None => {
                    r.error(
                        n,
                        &format!("{path}.schedule"),
                        "missing: when the check runs",
                    );
                    None
                }
            };
            let read_data = n
                .get("read_data")
                .and_then(|v| percent(r, v, &format!("{path}.read_data")))
                .unwrap_or(0);
            if let Some(schedule) = schedule {
                p.check = Some(CheckPolicy {
                    schedule,
                    read_data,
                });
            }
        } else {
            r.error(
                n,
                &path,
                format!("expected a mapping, got {}", n.describe()),
            );
        }
    }
    if let Some(n) = block.get("drill") {
        let path = at("drill");
        if n.as_map().is_some() {
            r.known_keys(n, &path, DRILL_KEYS);
            let mut drill = DrillPolicy {
                schedule: n
                    .get("schedule")
                    .and_then(|s| r.text(s, &format!("{path}.schedule"))),
                checks: Vec::new(),
            };
            if let Some(list) = n.get("checks") {
                drill.checks = drill_checks(r, list, &format!("{path}.checks"));
            }
            p.drill = Some(drill);
        } else {
            r.error(
                n,
                &path,
                format!("expected a mapping, got {}", n.describe()),
            );
        }
    }
    p
}

fn count(r: &mut FieldReader<'_>, node: &Node, path: &str) -> u32 {
    match r.integer(node, path) {
        Some(n) if (0..=100_000).contains(&n) => n as u32,
        Some(n) => {
            r.error(node, path, format!("{n}: expected 0 to 100000"));
            0
        }
        None => 0,
    }
}

fn percent(r: &mut FieldReader<'_>, node: &Node, path: &str) -> Option<u8> {
    let text = match &node.value {
        Value::Int(i) => i.to_string(),
        _ => r.text(node, path)?,
    };
    match text.trim().trim_end_matches('%').trim().parse::<u8>() {
        Ok(n) if n <= 100 => Some(n),
        _ => {
            r.error(node, path, format!("{text:?}: a percentage, 0 to 100"));
            None
        }
    }
}

fn retention(r: &mut FieldReader<'_>, node: &Node, path: &str) -> Retention {
    let mut out = Retention::default();
    if node.as_map().is_none() {
        r.error(
            node,
            path,
            format!(
                "expected a mapping (last, daily, …), got {}",
                node.describe()
            ),
        );
        return out;
    }
    r.known_keys(node, path, RETENTION_KEYS);
    for (key, slot) in [
        ("last", &mut out.last),
        ("hourly", &mut out.hourly),
        ("daily", &mut out.daily),
        ("weekly", &mut out.weekly),
        ("monthly", &mut out.monthly),
        ("yearly", &mut out.yearly),
    ] {
        if let Some(n) = node.get(key) {
            *slot = count(r, n, &format!("{path}.{key}"));
        }
    }
    out
}

fn databases(r: &mut FieldReader<'_>, node: &Node, path: &str, p: &mut Policy) {
    match &node.value {
        Value::String(s) if s == "auto" => p.detect_databases = true,
        Value::String(s) if s == "none" => p.detect_databases = false,
        Value::Map(map) => {
            // Declared databases complete the detected ones.
            for (service, decl) in map {
                let at = format!("{path}.{service}");
                let mut d = DatabaseDecl::default();
                if decl.as_map().is_some() {
                    r.known_keys(decl, &at, DATABASE_KEYS);
                    if let Some(e) = decl.get("engine") {
                        let text = r.text(e, &format!("{at}.engine")).unwrap_or_default();
                        match text.parse::<Engine>() {
                            Ok(engine) => d.engine = Some(engine),
                            Err(message) => r.error(e, &format!("{at}.engine"), message),
                        }
                    }
                    d.database = decl
                        .get("database")
                        .and_then(|n| r.text(n, &format!("{at}.database")));
                    d.user = decl
                        .get("user")
                        .and_then(|n| r.text(n, &format!("{at}.user")));
                } else if !decl.is_null() {
                    r.error(
                        decl,
                        &at,
                        format!(
                            "expected a mapping (engine, database, user), got {}",
                            decl.describe()
                        ),
                    );
                }
                p.databases.insert(service.clone(), d);
            }
        }
        _ => r.error(
            node,
            path,
            format!(
                "expected auto, none or a mapping of services, got {}",
                node.describe()
            ),
        ),
    }
}

fn command(r: &mut FieldReader<'_>, node: &Node, path: &str) -> Vec<String> {
    match &node.value {
        Value::Seq(_) => r.words(node, path),
        _ => {
            r.error(
                node,
                path,
                format!(
                    "expected a list of arguments (commands never run through a shell), got {}",
                    node.describe()
                ),
            );
            Vec::new()
        }
    }
}

/// A list of `{service, command, …}` mappings (hooks, drill checks): each item read by
/// `read` after its service and command, which every kind has.
fn service_commands<T>(
    r: &mut FieldReader<'_>,
    node: &Node,
    path: &str,
    known: &[&str],
    mut read: impl FnMut(&mut FieldReader<'_>, &Node, &str, String, Vec<String>) -> T,
) -> Vec<T> {
    let Value::Seq(items) = &node.value else {
        r.error(
            node,
            path,
            format!("expected a list, got {}", node.describe()),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path}[{i}]");
        if item.as_map().is_none() {
            r.error(
                item,
                &at,
                format!(
                    "expected a mapping ({}), got {}",
                    known.join(", "),
                    item.describe()
                ),
            );
            continue;
        }
        r.known_keys(item, &at, known);
        let service = match item.get("service") {
            Some(n) => r.text(n, &format!("{at}.service")).unwrap_or_default(),
            None => {
                r.error(item, &format!("{at}.service"), "missing");
                String::new()
            }
        };
        let command = match item.get("command") {
            Some(n) => command(r, n, &format!("{at}.command")),
            None => {
                r.error(item, &format!("{at}.command"), "missing");
                Vec::new()
            }
        };
        out.push(read(r, item, &at, service, command));
    }
    out
}

fn hooks(r: &mut FieldReader<'_>, node: &Node, path: &str) -> Vec<Hook> {
    service_commands(r, node, path, HOOK_KEYS, |_, _, _, service, command| Hook {
        service,
        command,
    })
}

fn drill_checks(r: &mut FieldReader<'_>, node: &Node, path: &str) -> Vec<DrillCheck> {
    service_commands(
        r,
        node,
        path,
        DRILL_CHECK_KEYS,
        |r, item, at, service, command| DrillCheck {
            service,
            command,
            expect: item
                .get("expect")
                .and_then(|n| r.text(n, &format!("{at}.expect"))),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"services:
  db:
    image: postgres:17
x-windflow:
  backup:
    repository: offsite
    schedule: "0 3 * * *"
    timezone: Europe/Paris
    retention: {last: 3, daily: 7, weekly: 4}
    volumes: [data]
    databases:
      db: {engine: postgres, database: app}
    consistency: stop
    exclude: ["*.tmp"]
    hooks:
      pre: [{service: db, command: [sync]}]
    check: {schedule: "0 5 * * 0", read_data: 5%}
    drill:
      checks:
        - {service: db, command: [psql, -tAc, "select 1"], expect: "1"}
"#;

    #[test]
    fn a_full_policy_reads() {
        let p = Policy::from_compose("compose.yaml", FULL).unwrap().unwrap();
        assert_eq!(p.repository.as_deref(), Some("offsite"));
        assert_eq!(
            p.retention.flags(),
            [
                "--keep-last",
                "3",
                "--keep-daily",
                "7",
                "--keep-weekly",
                "4"
            ]
        );
        assert_eq!(p.volumes, Some(vec!["data".to_string()]));
        assert_eq!(p.databases["db"].engine, Some(Engine::Postgres));
        assert_eq!(p.consistency, Consistency::Stop);
        assert_eq!(p.check.as_ref().unwrap().read_data, 5);
        assert_eq!(
            p.drill.as_ref().unwrap().checks[0].expect.as_deref(),
            Some("1")
        );
        // The JSON form (the API's) reads back to the same policy.
        let json = serde_json::to_value(&p).unwrap();
        let back: Policy = serde_json::from_value(json).unwrap();
        assert_eq!(back, p);
        assert!(p.problems_in_stack(&["data"], &["db"]).is_empty());
        let wrong = p.problems_in_stack(&["other"], &["web"]);
        assert!(
            wrong
                .iter()
                .any(|(f, m)| f.ends_with("volumes[0]") && m.contains("no named volume \"data\""))
        );
        assert!(
            wrong
                .iter()
                .any(|(f, _)| f.ends_with("hooks.pre[0].service"))
        );
    }

    #[test]
    fn no_block_is_no_policy() {
        assert_eq!(
            Policy::from_compose("c.yaml", "services: {a: {image: x}}\n").unwrap(),
            None
        );
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let text = "services: {}\nx-windflow:\n  backup:\n    schedule: \"0 3 * *\"\n    retention: {daily: -1, forever: 2}\n    consistency: paused\n    hooks:\n      pre: [{service: db, command: \"pg_dump | gzip\"}]\n";
        let errors = Policy::from_compose("c.yaml", text).unwrap_err();
        let lines: Vec<String> = errors.iter().map(|d| d.to_string()).collect();
        let joined = lines.join("\n");
        assert!(
            joined.contains("c.yaml:5: x-windflow.backup.retention.daily"),
            "{joined}"
        );
        assert!(
            joined.contains("x-windflow.backup.retention.forever: unknown key"),
            "{joined}"
        );
        assert!(
            joined.contains("c.yaml:6: x-windflow.backup.consistency"),
            "{joined}"
        );
        assert!(
            joined.contains(
                "c.yaml:8: x-windflow.backup.hooks.pre[0].command: expected a list of arguments"
            ),
            "{joined}"
        );
        // Field errors come first; the schedule is checked once the fields read.
        let text = "x-windflow:\n  backup:\n    schedule: \"0 3 * *\"\n";
        let errors = Policy::from_compose("c.yaml", text).unwrap_err();
        assert!(
            errors[0]
                .to_string()
                .contains("x-windflow.backup.schedule: \"0 3 * *\" is not a 5-field"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn api_policies_refuse_unknown_fields() {
        let err = serde_json::from_value::<Policy>(serde_json::json!({"schedul": "0 3 * * *"}))
            .unwrap_err();
        assert!(err.to_string().contains("unknown field `schedul`"), "{err}");
        let p: Policy = serde_json::from_value(
            serde_json::json!({"schedule": "0 3 * * *", "timezone": "Nowhere/City"}),
        )
        .unwrap();
        assert!(
            p.problems()
                .iter()
                .any(|(f, m)| f == "x-windflow.backup.schedule" && m.contains("unknown time zone"))
        );
    }
}
