//! Top-level `networks`, `volumes`, `secrets` and `configs`.

use std::collections::BTreeMap;

use windflow_domain::{FileObject, Ipam, IpamPool, Network, Volume};

use super::Ctx;
use crate::compat;
use crate::yaml::{Node, Value};

/// `external: true`, `external: false` or the legacy `external: {name: x}`. Returns
/// (external, legacy name).
fn external(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> (bool, Option<String>) {
    match &node.value {
        Value::Map(map) => {
            let name = map
                .get("name")
                .and_then(|n| ctx.string(n, &format!("{path}.name")));
            ctx.check_keys(map, path, &compat::EXTERNAL);
            (true, name)
        }
        _ => (ctx.bool(node, path).unwrap_or(false), None),
    }
}

/// The engine-side name: `name:`, else the key for external objects, else `<project>_<key>`.
fn engine_name(key: &str, name: Option<String>, external: bool, project: &str) -> String {
    match name {
        Some(name) => name,
        None if external => key.to_string(),
        None => format!("{project}_{key}"),
    }
}

pub(super) fn networks(node: &Node, ctx: &mut Ctx<'_>) -> BTreeMap<String, Network> {
    let mut out = BTreeMap::new();
    let Some(map) = ctx.map_or_null(node, "networks") else {
        return out;
    };
    for (key, node) in map {
        let path = format!("networks.{key}");
        let mut network = Network::default();
        let mut name = None;
        if let Some(fields) = ctx.map_or_null(node, &path) {
            ctx.check_keys(fields, &path, &compat::NETWORK);
            for (field, value) in fields {
                let p = format!("{path}.{field}");
                match field.as_str() {
                    "name" => name = ctx.string(value, &p),
                    "driver" => network.driver = ctx.string(value, &p),
                    "driver_opts" => network.driver_opts = ctx.string_map(value, &p),
                    "external" => {
                        let (external, legacy) = external(value, &p, ctx);
                        network.external = external;
                        name = name.or(legacy);
                    }
                    "internal" => network.internal = ctx.bool(value, &p).unwrap_or(false),
                    "attachable" => network.attachable = ctx.bool(value, &p).unwrap_or(false),
                    "enable_ipv6" => network.enable_ipv6 = ctx.bool(value, &p).unwrap_or(false),
                    "labels" => network.labels = ctx.string_map(value, &p),
                    "ipam" => network.ipam = ipam(value, &p, ctx),
                    _ => {}
                }
            }
        }
        network.name = engine_name(key, name, network.external, &ctx.project);
        out.insert(key.clone(), network);
    }
    out
}

fn ipam(node: &Node, path: &str, ctx: &mut Ctx<'_>) -> Option<Ipam> {
    let fields = ctx.map_or_null(node, path)?;
    ctx.check_keys(fields, path, &compat::IPAM);
    let mut ipam = Ipam::default();
    for (field, value) in fields {
        let p = format!("{path}.{field}");
        match field.as_str() {
            "driver" => ipam.driver = ctx.string(value, &p),
            "options" => ipam.options = ctx.string_map(value, &p),
            "config" => {
                for (i, pool) in ctx.seq(value, &p).unwrap_or_default().iter().enumerate() {
                    let pp = format!("{p}[{i}]");
                    let Some(pool) = ctx.map(pool, &pp) else {
                        continue;
                    };
                    ctx.check_keys(pool, &pp, &compat::IPAM_POOL);
                    let mut out = IpamPool::default();
                    for (k, v) in pool {
                        let vp = format!("{pp}.{k}");
                        match k.as_str() {
                            "subnet" => out.subnet = ctx.string(v, &vp),
                            "ip_range" => out.ip_range = ctx.string(v, &vp),
                            "gateway" => out.gateway = ctx.string(v, &vp),
                            _ => {}
                        }
                    }
                    ipam.config.push(out);
                }
            }
            _ => {}
        }
    }
    Some(ipam)
}

pub(super) fn volumes(node: &Node, ctx: &mut Ctx<'_>) -> BTreeMap<String, Volume> {
    let mut out = BTreeMap::new();
    let Some(map) = ctx.map_or_null(node, "volumes") else {
        return out;
    };
    for (key, node) in map {
        let path = format!("volumes.{key}");
        let mut volume = Volume::default();
        let mut name = None;
        if let Some(fields) = ctx.map_or_null(node, &path) {
            ctx.check_keys(fields, &path, &compat::VOLUME);
            for (field, value) in fields {
                let p = format!("{path}.{field}");
                match field.as_str() {
                    "name" => name = ctx.string(value, &p),
                    "driver" => volume.driver = ctx.string(value, &p),
                    "driver_opts" => volume.driver_opts = ctx.string_map(value, &p),
                    "external" => {
                        let (external, legacy) = external(value, &p, ctx);
                        volume.external = external;
                        name = name.or(legacy);
                    }
                    "labels" => volume.labels = ctx.string_map(value, &p),
                    _ => {}
                }
            }
        }
        volume.name = engine_name(key, name, volume.external, &ctx.project);
        out.insert(key.clone(), volume);
    }
    out
}

/// Top-level `secrets` or `configs` (`section` names which; only configs take `content`).
pub(super) fn file_objects(
    node: &Node,
    section: &str,
    ctx: &mut Ctx<'_>,
) -> BTreeMap<String, FileObject> {
    let mut out = BTreeMap::new();
    let Some(map) = ctx.map_or_null(node, section) else {
        return out;
    };
    let is_config = section == "configs";
    let keys = if is_config {
        &compat::CONFIG
    } else {
        &compat::SECRET
    };
    for (key, node) in map {
        let path = format!("{section}.{key}");
        let mut object = FileObject::default();
        let mut name = None;
        let Some(fields) = ctx.map(node, &path) else {
            continue;
        };
        ctx.check_keys(fields, &path, keys);
        for (field, value) in fields {
            let p = format!("{path}.{field}");
            match field.as_str() {
                "name" => name = ctx.string(value, &p),
                "file" if ctx.isolated => {
                    // A stack stored on the server reads no file of the server's: this path
                    // would name one of them (the keyring, /etc/shadow).
                    let alternative = if is_config {
                        "content: (the config's text) or environment: NAME (a stack variable)"
                    } else {
                        "environment: NAME with a secret stack variable NAME"
                    };
                    let written = ctx.string(value, &p).unwrap_or_default();
                    ctx.error(
                        value,
                        &p,
                        format!(
                            "file {written:?} cannot be read on the server: a stack stored on the server reads no file of the server's; use {alternative}"
                        ),
                    );
                    // Counted as the object's source so no second error follows.
                    object.file = Some(std::path::PathBuf::new());
                }
                "file" => object.file = ctx.string(value, &p).map(|f| ctx.absolute(&f)),
                "environment" => object.environment = ctx.string(value, &p),
                "content" if is_config => object.content = ctx.string(value, &p),
                "external" => {
                    let (external, legacy) = external(value, &p, ctx);
                    object.external = external;
                    name = name.or(legacy);
                }
                "labels" => object.labels = ctx.string_map(value, &p),
                _ => {}
            }
        }
        let sources = [
            object.file.is_some(),
            object.environment.is_some(),
            object.content.is_some(),
        ]
        .iter()
        .filter(|s| **s)
        .count();
        let kind = if is_config { "config" } else { "secret" };
        let choices = if is_config {
            "file, environment or content"
        } else {
            "file or environment"
        };
        if !object.external && sources != 1 {
            let message = if sources == 0 {
                format!("{kind} {key:?} needs one of {choices} (or external: true)")
            } else {
                format!("{kind} {key:?} must have only one of {choices}")
            };
            ctx.error(node, &path, message);
        }
        // On the server, `environment: NAME` means the stack variable NAME (the
        // interpolation environment), never a variable of the server process: the value is
        // taken now, as the config's or secret's content.
        if ctx.isolated
            && let Some(variable) = object.environment.take()
        {
            match ctx.environment.get(&variable) {
                Some(value) => object.content = Some(value.clone()),
                None => {
                    ctx.warn(
                        node,
                        &format!("{path}.environment"),
                        format!(
                            "the variable {variable:?} is not set: define it as a stack variable (the {kind} is empty until then)"
                        ),
                    );
                    object.content = Some(String::new());
                }
            }
        }
        object.name = engine_name(key, name, object.external, &ctx.project);
        out.insert(key.clone(), object);
    }
    out
}
