//! The curated templates shipped in the binary (`crates/catalog/templates/*.yaml`).
//!
//! To add one: write `templates/<id>.yaml` and add a line
//! `("<id>.yaml", include_str!("../templates/<id>.yaml")),` to [`BUILTIN`]. The test below
//! checks that every entry parses, so a broken template fails the build's tests, not a user.

use crate::template::Template;

/// (file name, text) of every curated template.
pub const BUILTIN: &[(&str, &str)] = &[
    ("ghost.yaml", include_str!("../templates/ghost.yaml")),
    ("gitea.yaml", include_str!("../templates/gitea.yaml")),
    (
        "grafana-prometheus.yaml",
        include_str!("../templates/grafana-prometheus.yaml"),
    ),
    ("keycloak.yaml", include_str!("../templates/keycloak.yaml")),
    ("mariadb.yaml", include_str!("../templates/mariadb.yaml")),
    (
        "mattermost.yaml",
        include_str!("../templates/mattermost.yaml"),
    ),
    ("metabase.yaml", include_str!("../templates/metabase.yaml")),
    ("mongodb.yaml", include_str!("../templates/mongodb.yaml")),
    ("mysql.yaml", include_str!("../templates/mysql.yaml")),
    ("n8n.yaml", include_str!("../templates/n8n.yaml")),
    (
        "nextcloud.yaml",
        include_str!("../templates/nextcloud.yaml"),
    ),
    ("nginx.yaml", include_str!("../templates/nginx.yaml")),
    (
        "plausible.yaml",
        include_str!("../templates/plausible.yaml"),
    ),
    (
        "postgresql.yaml",
        include_str!("../templates/postgresql.yaml"),
    ),
    ("rabbitmq.yaml", include_str!("../templates/rabbitmq.yaml")),
    ("redis.yaml", include_str!("../templates/redis.yaml")),
    (
        "seaweedfs.yaml",
        include_str!("../templates/seaweedfs.yaml"),
    ),
    (
        "static-site.yaml",
        include_str!("../templates/static-site.yaml"),
    ),
    (
        "uptime-kuma.yaml",
        include_str!("../templates/uptime-kuma.yaml"),
    ),
    (
        "vaultwarden.yaml",
        include_str!("../templates/vaultwarden.yaml"),
    ),
    (
        "wordpress.yaml",
        include_str!("../templates/wordpress.yaml"),
    ),
];

/// The curated templates, each with `source` set to `builtin:<file>`. One that does not
/// parse is left out (the test below keeps that from shipping).
pub fn builtin() -> Vec<Template> {
    BUILTIN
        .iter()
        .filter_map(|(file, text)| {
            let mut template = Template::parse(file, text).ok()?;
            template.source = Some(format!("builtin:{file}"));
            Some(template)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_template_parses() {
        for (file, text) in BUILTIN {
            if let Err(errors) = Template::parse(file, text) {
                let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
                panic!("{file}:\n{}", lines.join("\n"));
            }
        }
        assert_eq!(builtin().len(), BUILTIN.len());
        assert!(
            BUILTIN.len() >= 20,
            "the curated set has at least 20 templates"
        );
    }
}
