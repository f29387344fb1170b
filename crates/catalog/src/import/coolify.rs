//! Coolify's one-click services (`templates/compose/*.yaml` of coollabsio/coolify): a compose
//! file with header comments and "magic" variables that Coolify fills in.
//!
//! | Coolify                                         | WindFlow                                             |
//! |-------------------------------------------------|------------------------------------------------------|
//! | `# slogan:`, `# category:`, `# tags:`, `# logo:`, `# documentation:`, `# port:` | the template's description, categories, tags, logo, documentation, port |
//! | `SERVICE_FQDN_<NAME>[_<PORT>]`                  | a `domain` input `SERVICE_FQDN_<NAME>`, and on the service declaring it `x-windflow: {domains: ["${SERVICE_FQDN_<NAME>}"], port: <PORT>}` |
//! | `SERVICE_URL_<NAME>[_<PORT>]`                   | `https://${SERVICE_FQDN_<NAME>}`, same domain input   |
//! | `SERVICE_URL_<NAME>_<PORT>=/path`               | the domain `${SERVICE_FQDN_<NAME>}/path`             |
//! | a domain with no `_<PORT>`                      | the service's only declared port, else `# port:`, else 80 (`guessed`: Coolify's proxy uses the image's exposed port); a port the service does not declare is added to its `expose:` |
//! | `SERVICE_PASSWORD_<NAME>`, `…WITHSYMBOLS_<NAME>` | a secret input, `generate: password`               |
//! | `SERVICE_PASSWORD_64_<NAME>`, `…WITHSYMBOLS_64_` | a secret input, `generate: alnum:64`               |
//! | `SERVICE_USER_<NAME>`                           | `generate: alnum:16`                                 |
//! | `SERVICE_LOWERCASEUSER_<NAME>`                  | `generate: hex:16` (lower-case letters and digits)   |
//! | `SERVICE_BASE64[_32\|_64\|_128]_<NAME>`         | `generate: alnum:N` (Coolify's "BASE64" is a random alphanumeric string) |
//! | `SERVICE_REALBASE64[_32\|_64\|_128]_<NAME>`     | `generate: base64:N` (N random bytes)                |
//! | `SERVICE_HEX_32\|_64\|_128_<NAME>`              | `generate: hex:N` (N hex digits)                     |
//! | `SERVICE_SUPABASEANON_…`, `SERVICE_SUPABASESERVICE_…` | a required secret input (`unmapped-variable`: Coolify signs a JWT) |
//! | `${VAR:-default}`, `${VAR-default}`, `${VAR:?}`, `${VAR}` | inputs with a default, required, or optional |
//! | volume `{type: bind, source, target, content: …}` | a top-level `configs:` entry with that content, mounted at `target` |
//! | volume `is_directory: true`                     | dropped (a long-syntax bind creates a missing host directory) |
//! | `${COOLIFY_VOLUME_<NAME>}`                      | the volume name `<name>`                             |
//! | `exclude_from_hc`                               | dropped, reported (`unsupported-key`)                |
//!
//! Everything else is kept as written; what could not be mapped is reported as a [`Note`].

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use windflow_compose::yaml::{self, Node, Value};

use super::{Header, ImportFailure, Note, Reason, finish, slug};
use crate::template::{Generator, Input, InputKind, Template};
use crate::vars;

/// Where Coolify's logos live (`# logo: svgs/x.svg` is relative to its `public/`).
const LOGO_BASE: &str = "https://raw.githubusercontent.com/coollabsio/coolify/main/public/";

/// What a magic variable stands for.
#[derive(Debug, Clone, PartialEq)]
enum Magic {
    /// `SERVICE_FQDN_*` (`url: false`) or `SERVICE_URL_*`.
    Domain {
        name: String,
        port: Option<u16>,
        url: bool,
    },
    Generated(Generator, InputKind),
    Unmapped(&'static str),
}

/// Coolify's generated-value commands, longest first so that `PASSWORD_64` wins over
/// `PASSWORD` (see `generateEnvValue` in Coolify's `bootstrap/helpers/shared.php`).
const COMMANDS: &[(&str, Generator, InputKind)] = &[
    (
        "PASSWORDWITHSYMBOLS_64",
        Generator::Alnum(64),
        InputKind::Secret,
    ),
    (
        "PASSWORDWITHSYMBOLS",
        Generator::Password,
        InputKind::Secret,
    ),
    ("PASSWORD_64", Generator::Alnum(64), InputKind::Secret),
    ("PASSWORD", Generator::Password, InputKind::Secret),
    ("REALBASE64_128", Generator::Base64(128), InputKind::Secret),
    ("REALBASE64_64", Generator::Base64(64), InputKind::Secret),
    ("REALBASE64_32", Generator::Base64(32), InputKind::Secret),
    ("REALBASE64", Generator::Base64(32), InputKind::Secret),
    ("BASE64_128", Generator::Alnum(128), InputKind::Secret),
    ("BASE64_64", Generator::Alnum(64), InputKind::Secret),
    ("BASE64_32", Generator::Alnum(32), InputKind::Secret),
    ("BASE64", Generator::Alnum(32), InputKind::Secret),
    ("HEX_128", Generator::Hex(128), InputKind::Secret),
    ("HEX_64", Generator::Hex(64), InputKind::Secret),
    ("HEX_32", Generator::Hex(32), InputKind::Secret),
    ("LOWERCASEUSER", Generator::Hex(16), InputKind::String),
    ("USER", Generator::Alnum(16), InputKind::String),
];

const UNMAPPED: &[(&str, &str)] = &[
    (
        "SUPABASEANON",
        "Coolify signs an 'anon' JWT with SERVICE_PASSWORD_JWT; sign one yourself and give it",
    ),
    (
        "SUPABASESERVICE",
        "Coolify signs a 'service_role' JWT with SERVICE_PASSWORD_JWT; sign one yourself and give it",
    ),
];

/// What `variable` stands for, if it is one of Coolify's magic variables.
fn classify(variable: &str) -> Option<Magic> {
    let rest = variable.strip_prefix("SERVICE_")?;
    for (prefix, url) in [("FQDN_", false), ("URL_", true)] {
        if let Some(name) = rest.strip_prefix(prefix) {
            if name.is_empty() {
                return None;
            }
            let (name, port) = match name.rsplit_once('_') {
                Some((head, tail))
                    if !head.is_empty()
                        && !tail.is_empty()
                        && tail.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    match tail.parse::<u16>() {
                        Ok(p) if p > 0 => (head, Some(p)),
                        _ => (name, None),
                    }
                }
                _ => (name, None),
            };
            return Some(Magic::Domain {
                name: name.to_string(),
                port,
                url,
            });
        }
    }
    for (command, generator, kind) in COMMANDS {
        if let Some(name) = rest.strip_prefix(command).and_then(|r| r.strip_prefix('_'))
            && !name.is_empty()
        {
            return Some(Magic::Generated(*generator, *kind));
        }
    }
    for (command, why) in UNMAPPED {
        if let Some(name) = rest.strip_prefix(command).and_then(|r| r.strip_prefix('_'))
            && !name.is_empty()
        {
            return Some(Magic::Unmapped(why));
        }
    }
    None
}

/// The input name of a domain magic variable's domain.
fn domain_input(name: &str) -> String {
    format!("SERVICE_FQDN_{name}")
}

/// What replaces a reference to a domain magic variable.
fn domain_value(name: &str, url: bool) -> String {
    if url {
        format!("https://${{{}}}", domain_input(name))
    } else {
        format!("${{{}}}", domain_input(name))
    }
}

/// Whether a plain variable's value is probably a secret, by its name.
fn secret_name(name: &str) -> bool {
    ["PASSWORD", "SECRET", "TOKEN", "PRIVATE", "API_KEY", "_KEY"]
        .iter()
        .any(|w| name.contains(w))
        || name.ends_with("KEY")
        || name.ends_with("_PASS")
}

/// The header comments (`# key: value` lines before the first YAML line).
fn header_comments(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some(comment) = line.strip_prefix('#') else {
            break;
        };
        if let Some((key, value)) = comment.split_once(':') {
            let key = key.trim().to_ascii_lowercase();
            if !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                out.entry(key).or_insert_with(|| value.trim().to_string());
            }
        }
    }
    out
}

fn words(text: Option<&String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.map(String::as_str).unwrap_or_default().split(',') {
        let word = word.trim().to_lowercase();
        if !word.is_empty() && !out.contains(&word) {
            out.push(word);
        }
    }
    out
}

/// One domain a service declares in its environment.
#[derive(Debug, Clone, PartialEq)]
struct Claim {
    service: String,
    name: String,
    port: Option<u16>,
    path: String,
}

/// The state of one import.
struct Import {
    inputs: Vec<Input>,
    notes: Vec<Note>,
    claims: Vec<Claim>,
    /// Domain names referenced (not declared), with the first service and any port seen.
    referenced: IndexMap<String, (String, Option<u16>)>,
    defaults_seen: BTreeMap<String, Option<String>>,
    /// Variables renamed to valid input names.
    renames: BTreeMap<String, String>,
}

impl Import {
    fn input_mut(&mut self, name: &str) -> Option<&mut Input> {
        self.inputs.iter_mut().find(|i| i.name == name)
    }

    fn add_input(&mut self, input: Input) {
        if self.input_mut(&input.name).is_none() {
            self.inputs.push(input);
        }
    }

    /// Declares what a reference needs (an input), and returns its rewritten text.
    fn reference(
        &mut self,
        reference: &vars::Reference,
        service: Option<&str>,
        path: &str,
    ) -> Option<String> {
        match classify(&reference.name) {
            Some(Magic::Domain { name, port, url }) => {
                self.domain_input(&name);
                if let Some(service) = service {
                    let entry = self
                        .referenced
                        .entry(name.clone())
                        .or_insert_with(|| (service.to_string(), port));
                    if entry.1.is_none() {
                        entry.1 = port;
                    }
                }
                Some(domain_value(&name, url))
            }
            Some(Magic::Generated(generator, kind)) => {
                let mut input = Input::new(&reference.name, kind);
                input.generate = Some(generator);
                input.required = false;
                self.add_input(input);
                if reference.operator.is_some() {
                    // Always set: a default or alternate never applies.
                    Some(format!("${{{}}}", reference.name))
                } else {
                    None
                }
            }
            Some(Magic::Unmapped(why)) => {
                if self.input_mut(&reference.name).is_none() {
                    self.notes.push(Note::new(
                        Reason::UnmappedVariable,
                        path,
                        format!("{}: {why}", reference.name),
                    ));
                    let mut input = Input::new(&reference.name, InputKind::Secret);
                    input.description = Some(why.to_string());
                    self.add_input(input);
                }
                None
            }
            None if reference.name.starts_with("COOLIFY_VOLUME_") => {
                // Coolify names a volume for the service; any fixed name does.
                let volume = reference.name["COOLIFY_VOLUME_".len()..]
                    .to_ascii_lowercase()
                    .replace('_', "-");
                Some(if volume.is_empty() {
                    "data".into()
                } else {
                    volume
                })
            }
            None if !crate::template::is_input_name(&reference.name) => {
                let renamed = self.renamed(&reference.name, path);
                let renamed_reference = vars::Reference {
                    name: renamed.clone(),
                    ..reference.clone()
                };
                self.plain(&renamed_reference, path);
                Some(
                    self.rewrite_argument(reference, &renamed, service, path)
                        .unwrap_or_else(|| format!("${{{renamed}}}")),
                )
            }
            None => {
                self.plain(reference, path);
                self.rewrite_argument(reference, &reference.name, service, path)
            }
        }
    }

    /// A reference whose default or alternate holds references of its own, rewritten with
    /// them (`${URL:-${SERVICE_URL_APP}}`); `None` when nothing changes.
    fn rewrite_argument(
        &mut self,
        reference: &vars::Reference,
        name: &str,
        service: Option<&str>,
        path: &str,
    ) -> Option<String> {
        let (Some(op), Some(argument)) = (&reference.operator, &reference.argument) else {
            return None;
        };
        if !argument.contains('$') {
            return None;
        }
        let rewritten = vars::rewrite(argument, &mut |r| self.reference(r, service, path));
        (rewritten != *argument || name != reference.name)
            .then(|| format!("${{{name}{op}{rewritten}}}"))
    }

    /// An input name for a variable whose name is not one (`branch`, `FTLCONF_dns_x`):
    /// upper case, reported once.
    fn renamed(&mut self, name: &str, path: &str) -> String {
        if let Some(done) = self.renames.get(name) {
            return done.clone();
        }
        let mut new: String = name.to_ascii_uppercase();
        while self.renames.values().any(|v| v == &new)
            || (self.defaults_seen.contains_key(&new) && !self.renames.contains_key(name))
        {
            new.push('_');
        }
        self.notes.push(Note::new(
            Reason::Guessed,
            path,
            format!("${{{name}}} is renamed ${{{new}}}: input names are upper case"),
        ));
        self.renames.insert(name.to_string(), new.clone());
        new
    }

    fn domain_input(&mut self, name: &str) {
        let mut input = Input::new(&domain_input(name), InputKind::Domain);
        input.label = format!("Domain for {}", name.to_lowercase().replace('_', "-"));
        self.add_input(input);
    }

    /// An ordinary `${VAR…}`: an input with its default, or required.
    fn plain(&mut self, reference: &vars::Reference, path: &str) {
        let name = &reference.name;
        if name.starts_with("WINDFLOW_") {
            self.notes.push(Note::new(
                Reason::UnmappedVariable,
                path,
                format!("${{{name}}} uses a name reserved for WindFlow's built-in variables"),
            ));
            return;
        }
        let default = match reference.operator.as_deref() {
            Some(":-" | "-") => reference.argument.clone().filter(|a| !a.contains('$')),
            _ => None,
        };
        if let Some(seen) = self.defaults_seen.get(name) {
            if default.is_some() && seen.is_some() && seen != &default {
                self.notes.push(Note::new(
                    Reason::Guessed,
                    path,
                    format!(
                        "${{{name}}} has two defaults ({:?} and {:?}): the first is the input's default; the other still applies where it is written",
                        seen.as_deref().unwrap_or_default(),
                        default.as_deref().unwrap_or_default()
                    ),
                ));
            }
            if seen.is_none()
                && default.is_some()
                && let Some(input) = self.input_mut(name)
                && !input.required
            {
                input.default = default.clone();
                self.defaults_seen.insert(name.clone(), default);
            }
            if matches!(reference.operator.as_deref(), Some(":?" | "?"))
                && let Some(input) = self.input_mut(name)
            {
                input.required = true;
            }
            return;
        }
        self.defaults_seen.insert(name.clone(), default.clone());
        let kind = if secret_name(name) {
            InputKind::Secret
        } else {
            InputKind::String
        };
        let mut input = Input::new(name, kind);
        let required = matches!(reference.operator.as_deref(), Some(":?" | "?"));
        if let Some(message) = reference.argument.as_deref().filter(|_| required)
            && !message.is_empty()
        {
            input.description = Some(message.to_string());
        }
        input.required = required;
        if !required {
            input.default = default;
        }
        self.add_input(input);
    }

    /// Rewrites every string of `node` (never keys).
    fn rewrite_tree(&mut self, node: &mut Node, service: Option<&str>, path: &str) {
        match &mut node.value {
            Value::String(s) if s.contains('$') => {
                let original = s.clone();
                *s = vars::rewrite(&original, &mut |r| self.reference(r, service, path));
            }
            Value::Seq(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.rewrite_tree(item, service, &format!("{path}[{i}]"));
                }
            }
            Value::Map(map) => {
                for (key, value) in map.iter_mut() {
                    self.rewrite_tree(value, service, &format!("{path}.{key}"));
                }
            }
            _ => {}
        }
    }
}

/// The inputs of a plain compose file: every `${VAR…}` of its strings (defaults and
/// required markers kept), for importers of formats without magic variables.
pub(crate) fn plain_inputs(top: &mut IndexMap<String, Node>) -> (Vec<Input>, Vec<Note>) {
    let mut import = Import {
        inputs: Vec::new(),
        notes: Vec::new(),
        claims: Vec::new(),
        referenced: IndexMap::new(),
        defaults_seen: BTreeMap::new(),
        renames: BTreeMap::new(),
    };
    for (key, value) in top.iter_mut() {
        import.rewrite_tree(value, None, key);
    }
    (import.inputs, import.notes)
}

/// Imports one Coolify template; `path` names it (`ghost.yaml`) in reports and in the
/// template's `source` (`coolify:ghost.yaml`).
pub fn import(path: &str, text: &str) -> Result<(Template, Vec<Note>), ImportFailure> {
    let fail = |reason: Reason, message: String, notes: Vec<Note>| ImportFailure {
        template: path.to_string(),
        reason,
        message,
        diagnostics: Vec::new(),
        notes,
    };
    let header = header_comments(text);
    let mut notes = Vec::new();
    if header.get("ignore").is_some_and(|v| v == "true") {
        notes.push(Note::new(
            Reason::IgnoredUpstream,
            "# ignore",
            "Coolify does not offer this template (# ignore: true)",
        ));
    }
    let root = match yaml::parse(path, text) {
        Ok(root) => root,
        Err(diagnostics) => {
            return Err(ImportFailure {
                template: path.to_string(),
                reason: Reason::InvalidYaml,
                message: diagnostics
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| "not YAML".into()),
                diagnostics,
                notes,
            });
        }
    };
    let Value::Map(mut top) = root.value else {
        return Err(fail(
            Reason::InvalidYaml,
            "expected a compose file (a mapping at the top level)".into(),
            notes,
        ));
    };
    let has_services = top
        .get("services")
        .and_then(Node::as_map)
        .is_some_and(|m| !m.is_empty());
    if !has_services {
        return Err(fail(
            Reason::InvalidYaml,
            "no services: expected a compose file with a services mapping".into(),
            notes,
        ));
    }

    let mut import = Import {
        inputs: Vec::new(),
        notes,
        claims: Vec::new(),
        referenced: IndexMap::new(),
        defaults_seen: BTreeMap::new(),
        renames: BTreeMap::new(),
    };
    let mut configs: IndexMap<String, Node> = IndexMap::new();

    // Services: Coolify's keys, environment declarations, then every string.
    let service_names: Vec<String> = top
        .get("services")
        .and_then(Node::as_map)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    if let Some(services) = top.get_mut("services").and_then(Node::as_map_mut) {
        for (name, service) in services.iter_mut() {
            let at = format!("services.{name}");
            let Some(fields) = service.as_map_mut() else {
                continue;
            };
            if fields.shift_remove("exclude_from_hc").is_some() {
                import.notes.push(Note::new(
                    Reason::UnsupportedKey,
                    format!("{at}.exclude_from_hc"),
                    "dropped: WindFlow counts every service in the stack's health",
                ));
            }
            if let Some(environment) = fields.get_mut("environment") {
                declarations(&mut import, environment, name, &format!("{at}.environment"));
            }
            if let Some(volumes) = fields.get_mut("volumes") {
                let mounted = volumes_of(&mut import, volumes, name, &at, &mut configs);
                if !mounted.is_empty() {
                    let list = fields
                        .entry("configs".to_string())
                        .or_insert_with(|| Node::new(Value::Seq(Vec::new()), 1, "import".into()));
                    if let Value::Seq(items) = &mut list.value {
                        items.extend(mounted);
                    }
                }
                if fields
                    .get("volumes")
                    .is_some_and(|v| matches!(&v.value, Value::Seq(items) if items.is_empty()))
                {
                    fields.shift_remove("volumes");
                }
            }
        }
    }
    for (key, value) in top.iter_mut() {
        if key == "services" {
            if let Some(services) = value.as_map_mut() {
                for (name, service) in services.iter_mut() {
                    import.rewrite_tree(service, Some(name), &format!("services.{name}"));
                }
            }
        } else {
            import.rewrite_tree(value, None, key);
        }
    }
    if !configs.is_empty() {
        let entry = top
            .entry("configs".to_string())
            .or_insert_with(|| Node::new(Value::Map(IndexMap::new()), 1, "import".into()));
        if let Some(map) = entry.as_map_mut() {
            map.extend(configs);
        }
    }

    // Domains: on the service that declares them, else the one named alike, else the first
    // that uses them.
    let header_port = header
        .get("port")
        .and_then(|p| p.split(',').next())
        .and_then(|p| p.trim().parse::<u16>().ok());
    let declared: BTreeSet<String> = import.claims.iter().map(|c| c.name.clone()).collect();
    let referenced: Vec<(String, (String, Option<u16>))> = import
        .referenced
        .iter()
        .filter(|(name, _)| !declared.contains(*name))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    for (name, (first_user, port)) in referenced {
        let alike = service_names
            .iter()
            .find(|s| s.to_uppercase().replace(['-', '.'], "_") == name);
        let service = alike.cloned().unwrap_or_else(|| {
            import.notes.push(Note::new(
                Reason::Guessed,
                format!("services.{first_user}"),
                format!(
                    "SERVICE_URL/FQDN_{name} is used but no service declares it: its domain goes to {first_user:?}, the first service using it"
                ),
            ));
            first_user.clone()
        });
        import.claims.push(Claim {
            service,
            name,
            port,
            path: String::new(),
        });
    }
    let mut per_service: IndexMap<String, (Vec<String>, Option<u16>)> = IndexMap::new();
    let mut seen_routes = BTreeSet::new();
    for claim in import.claims.clone() {
        let route = format!("{}{}", domain_value(&claim.name, false), claim.path);
        if !seen_routes.insert(route.clone()) {
            if !per_service
                .get(&claim.service)
                .is_some_and(|(domains, _)| domains.contains(&route))
            {
                import.notes.push(Note::new(
                    Reason::Guessed,
                    format!("services.{}.environment", claim.service),
                    format!("{route} is declared by two services: it stays with the first one"),
                ));
            }
            continue;
        }
        let entry = per_service
            .entry(claim.service.clone())
            .or_insert_with(|| (Vec::new(), None));
        entry.0.push(route);
        match (entry.1, claim.port) {
            (None, port) => entry.1 = port,
            (Some(a), Some(b)) if a != b => import.notes.push(Note::new(
                Reason::UnsupportedKey,
                format!("services.{}", claim.service),
                format!(
                    "the service's domains name two ports ({a} and {b}): WindFlow routes all of a service's domains to one port, {a}"
                ),
            )),
            _ => {}
        }
    }
    if let Some(services) = top.get_mut("services").and_then(Node::as_map_mut) {
        for (service, (domains, mut port)) in per_service {
            let Some(fields) = services.get_mut(&service).and_then(Node::as_map_mut) else {
                import.notes.push(Note::new(
                    Reason::UnmappedVariable,
                    "services",
                    format!("domains {domains:?} name no service"),
                ));
                continue;
            };
            if let Some(mode) = fields.get("network_mode").and_then(Node::as_str) {
                import.notes.push(Note::new(
                    Reason::UnsupportedKey,
                    format!("services.{service}.network_mode"),
                    format!(
                        "network_mode {mode:?}: the gateway cannot reach the service, so the domains {domains:?} are kept as inputs but not routed"
                    ),
                ));
                continue;
            }
            let declared_ports = ["ports", "expose"]
                .iter()
                .filter_map(|k| fields.get(*k))
                .map(|n| match &n.value {
                    Value::Seq(items) => items.len(),
                    _ => 0,
                })
                .sum::<usize>();
            if port.is_none() && declared_ports != 1 && header_port.is_none() {
                port = Some(80);
                import.notes.push(Note::new(
                    Reason::Guessed,
                    format!("services.{service}"),
                    format!(
                        "no container port is known for the domains {domains:?} (no _PORT suffix, no # port: header; Coolify's proxy uses the port the image exposes): 80 is assumed"
                    ),
                ));
            }
            if port.is_none() && declared_ports != 1 && header_port.is_some() {
                port = header_port;
                import.notes.push(Note::new(
                    Reason::Guessed,
                    format!("services.{service}"),
                    format!(
                        "the domain's container port is taken from the header (# port: {})",
                        header_port.unwrap_or_default()
                    ),
                ));
            }
            if let Some(port) = port
                && declared_ports > 0
            {
                expose(fields, port);
            }
            let mut extension = IndexMap::new();
            extension.insert(
                "domains".to_string(),
                Node::new(
                    Value::Seq(
                        domains
                            .iter()
                            .map(|d| Node::new(Value::String(d.clone()), 1, "import".into()))
                            .collect(),
                    ),
                    1,
                    "import".into(),
                ),
            );
            if let Some(port) = port {
                extension.insert(
                    "port".to_string(),
                    Node::new(Value::Int(i64::from(port)), 1, "import".into()),
                );
            }
            fields.insert(
                "x-windflow".to_string(),
                Node::new(Value::Map(extension), 1, "import".into()),
            );
        }
    }

    let stem = path
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .trim_end_matches(".yaml")
        .trim_end_matches(".yml");
    let id = slug(stem);
    let name = stem
        .split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ");
    let logo = header.get("logo").filter(|l| !l.is_empty()).map(|l| {
        if l.starts_with("http://") || l.starts_with("https://") {
            l.clone()
        } else {
            format!("{LOGO_BASE}{}", l.trim_start_matches('/'))
        }
    });
    let head = Header {
        id,
        name,
        description: header.get("slogan").cloned().unwrap_or_default(),
        categories: words(header.get("category")),
        tags: words(header.get("tags")),
        logo,
        documentation: header
            .get("documentation")
            .filter(|d| !d.is_empty())
            .cloned(),
        port: header_port,
    };
    let Import { inputs, notes, .. } = import;
    finish(path, &head, &inputs, top, format!("coolify:{path}"), notes)
}

/// Adds `port` to a service's `expose:` (Coolify's proxy reaches any container port; the
/// gateway forwards only to a declared one).
fn expose(fields: &mut IndexMap<String, Node>, port: u16) {
    let list = fields
        .entry("expose".to_string())
        .or_insert_with(|| Node::new(Value::Seq(Vec::new()), 1, "import".into()));
    if let Value::Seq(items) = &mut list.value {
        let text = port.to_string();
        if !items
            .iter()
            .any(|i| i.scalar_text().as_deref() == Some(text.as_str()))
        {
            items.push(Node::new(Value::String(text), 1, "import".into()));
        }
    }
}

/// Reads a service's `environment`, rewriting Coolify's declarations (`SERVICE_URL_APP_3000`,
/// `SERVICE_URL_API_8080=/api`, `SERVICE_PASSWORD_DB`) into values, and recording the
/// domains the service declares.
fn declarations(import: &mut Import, environment: &mut Node, service: &str, path: &str) {
    let declare = |import: &mut Import, key: &str, value: Option<&str>| -> Option<String> {
        match classify(key)? {
            Magic::Domain { name, port, url } => {
                let value = value.unwrap_or_default().trim();
                let route_path = if value.starts_with('/') && !value.contains('$') {
                    value.trim_end_matches('/').to_string()
                } else {
                    String::new()
                };
                if !value.is_empty() && !value.starts_with('/') && !value.contains("SERVICE_") {
                    import.notes.push(Note::new(
                        Reason::UnmappedVariable,
                        format!("{path}.{key}"),
                        format!("the value {value:?} of a Coolify domain variable is replaced by the domain"),
                    ));
                }
                import.domain_input(&name);
                import.claims.push(Claim {
                    service: service.to_string(),
                    name: name.clone(),
                    port,
                    path: route_path.clone(),
                });
                Some(format!("{}{}", domain_value(&name, url), route_path))
            }
            Magic::Generated(..) | Magic::Unmapped(_) => match value {
                Some(v) if !v.is_empty() => None,
                _ => Some(format!("${{{key}}}")),
            },
        }
    };
    match &mut environment.value {
        Value::Seq(items) => {
            for item in items.iter_mut() {
                let Value::String(entry) = &item.value else {
                    continue;
                };
                let (key, value) = match entry.split_once('=') {
                    Some((k, v)) => (k.trim().to_string(), Some(v.to_string())),
                    None => (entry.trim().to_string(), None),
                };
                if let Some(new) = declare(import, &key, value.as_deref()) {
                    item.value = Value::String(format!("{key}={new}"));
                }
            }
        }
        Value::Map(map) => {
            for (key, value) in map.iter_mut() {
                let text = value.scalar_text();
                if let Some(new) = declare(import, key, text.as_deref()) {
                    value.value = Value::String(new);
                    value.raw = None;
                }
            }
        }
        _ => {}
    }
}

/// Rewrites a service's volumes: a bind mount with `content:` becomes a config (returned, to
/// go in the service's `configs:`), `is_directory` is dropped, bind mounts of host paths are
/// reported.
fn volumes_of(
    import: &mut Import,
    volumes: &mut Node,
    service: &str,
    at: &str,
    configs: &mut IndexMap<String, Node>,
) -> Vec<Node> {
    let Value::Seq(items) = &mut volumes.value else {
        return Vec::new();
    };
    let mut mounted = Vec::new();
    let mut kept = Vec::new();
    for (i, mut item) in std::mem::take(items).into_iter().enumerate() {
        let path = format!("{at}.volumes[{i}]");
        match &mut item.value {
            Value::String(short) => {
                let source = short.split(':').next().unwrap_or_default();
                if source.starts_with(['/', '.', '~', '$']) && short.contains(':') {
                    import.notes.push(Note::new(
                        Reason::HostPath,
                        path,
                        format!("bind mount of {source:?} on the target host: kept as written"),
                    ));
                }
                kept.push(item);
            }
            Value::Map(fields) => {
                fields.shift_remove("is_directory");
                let is_bind = fields.get("type").and_then(Node::as_str) == Some("bind");
                if let Some(content) = fields.get("content").filter(|_| is_bind) {
                    let target = fields
                        .get("target")
                        .and_then(Node::scalar_text)
                        .unwrap_or_default();
                    let source = fields
                        .get("source")
                        .and_then(Node::scalar_text)
                        .unwrap_or_default();
                    let base = source.rsplit('/').next().unwrap_or_default();
                    let mut name = slug(&format!("{service}-{base}"));
                    while configs.contains_key(&name) {
                        name.push_str("-x");
                    }
                    let text = content.scalar_text().unwrap_or_default();
                    // Coolify writes the file as it is: no interpolation.
                    let escaped = text.replace('$', "$$");
                    let mut config = IndexMap::new();
                    config.insert(
                        "content".to_string(),
                        Node::new(Value::String(escaped), content.line, content.file.clone()),
                    );
                    configs.insert(
                        name.clone(),
                        Node::new(Value::Map(config), 1, "import".into()),
                    );
                    let mut mount = IndexMap::new();
                    mount.insert(
                        "source".to_string(),
                        Node::new(Value::String(name), 1, "import".into()),
                    );
                    mount.insert(
                        "target".to_string(),
                        Node::new(Value::String(target), 1, "import".into()),
                    );
                    mounted.push(Node::new(Value::Map(mount), 1, "import".into()));
                    continue;
                }
                if fields.contains_key("content") {
                    fields.shift_remove("content");
                    import.notes.push(Note::new(
                        Reason::UnsupportedKey,
                        format!("{path}.content"),
                        "content on a mount that is not a bind mount: dropped",
                    ));
                }
                if is_bind {
                    let source = fields
                        .get("source")
                        .and_then(Node::scalar_text)
                        .unwrap_or_default();
                    import.notes.push(Note::new(
                        Reason::HostPath,
                        path,
                        format!("bind mount of {source:?} on the target host: kept as written"),
                    ));
                }
                kept.push(item);
            }
            _ => kept.push(item),
        }
    }
    *items = kept;
    mounted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_every_magic_variable() {
        let domain = |name: &str, port: Option<u16>, url: bool| {
            Some(Magic::Domain {
                name: name.into(),
                port,
                url,
            })
        };
        assert_eq!(
            classify("SERVICE_URL_GHOST_2368"),
            domain("GHOST", Some(2368), true)
        );
        assert_eq!(
            classify("SERVICE_FQDN_NEW_API_3000"),
            domain("NEW_API", Some(3000), false)
        );
        assert_eq!(classify("SERVICE_FQDN_APP"), domain("APP", None, false));
        assert_eq!(classify("SERVICE_URL_V2"), domain("V2", None, true));
        let generated = |g, k| Some(Magic::Generated(g, k));
        assert_eq!(
            classify("SERVICE_PASSWORD_DB"),
            generated(Generator::Password, InputKind::Secret)
        );
        assert_eq!(
            classify("SERVICE_PASSWORD_64_DB"),
            generated(Generator::Alnum(64), InputKind::Secret)
        );
        assert_eq!(
            classify("SERVICE_PASSWORDWITHSYMBOLS_DB"),
            generated(Generator::Password, InputKind::Secret)
        );
        assert_eq!(
            classify("SERVICE_USER_DB"),
            generated(Generator::Alnum(16), InputKind::String)
        );
        assert_eq!(
            classify("SERVICE_LOWERCASEUSER_DB"),
            generated(Generator::Hex(16), InputKind::String)
        );
        assert_eq!(
            classify("SERVICE_BASE64_DB"),
            generated(Generator::Alnum(32), InputKind::Secret)
        );
        assert_eq!(
            classify("SERVICE_BASE64_64_DB"),
            generated(Generator::Alnum(64), InputKind::Secret)
        );
        assert_eq!(
            classify("SERVICE_BASE64_128_DB"),
            generated(Generator::Alnum(128), InputKind::Secret)
        );
        assert_eq!(
            classify("SERVICE_REALBASE64_64_DB"),
            generated(Generator::Base64(64), InputKind::Secret)
        );
        assert_eq!(
            classify("SERVICE_HEX_32_DB"),
            generated(Generator::Hex(32), InputKind::Secret)
        );
        assert!(matches!(
            classify("SERVICE_SUPABASEANON_KEY"),
            Some(Magic::Unmapped(_))
        ));
        assert_eq!(classify("SERVICE_PASSWORD"), None);
        assert_eq!(classify("SERVICE_ROLE_KEY"), None);
        assert_eq!(classify("MY_SERVICE_PASSWORD_X"), None);
    }

    #[test]
    fn reads_the_header() {
        let h = header_comments(
            "# documentation: https://x.test\n# slogan: A: thing\n# tags: a, b\n\nservices: {}\n# port: 1\n",
        );
        assert_eq!(h.get("slogan").map(String::as_str), Some("A: thing"));
        assert_eq!(
            h.get("documentation").map(String::as_str),
            Some("https://x.test")
        );
        assert!(!h.contains_key("port"));
    }
}
