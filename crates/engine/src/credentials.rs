//! Registry credentials from the docker CLI's config (`$DOCKER_CONFIG/config.json`, default
//! `~/.docker/config.json`): inline `auths` entries and credential helpers (`credsStore`,
//! `credHelpers`), run as `docker-credential-<name> get` with the server on stdin.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine as _;
use bollard::auth::DockerCredentials;
use serde::Deserialize;

const DOCKER_HUB: &str = "https://index.docker.io/v1/";

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ConfigFile {
    #[serde(default)]
    auths: std::collections::HashMap<String, AuthEntry>,
    creds_store: Option<String>,
    #[serde(default)]
    cred_helpers: std::collections::HashMap<String, String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    auth: Option<String>,
    identitytoken: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperAnswer {
    username: String,
    secret: String,
}

/// The registry host an image reference points at (`docker.io` when it names none).
pub fn registry_of(image: &str) -> String {
    match image.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            first.to_string()
        }
        _ => "docker.io".to_string(),
    }
}

/// Credentials for pulling `image`, when the docker config has some for its registry.
pub fn registry_credentials(image: &str) -> Option<DockerCredentials> {
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".docker")))?;
    let text = std::fs::read_to_string(dir.join("config.json")).ok()?;
    let config: ConfigFile = serde_json::from_str(&text).ok()?;
    let registry = registry_of(image);
    let server = if registry == "docker.io" {
        DOCKER_HUB.to_string()
    } else {
        registry.clone()
    };
    let keys = [
        server.clone(),
        registry.clone(),
        format!("https://{registry}"),
        format!("http://{registry}"),
    ];

    let helper = config
        .cred_helpers
        .get(&registry)
        .or(config.creds_store.as_ref());
    if let Some(c) = helper.and_then(|h| from_helper(h, &server)) {
        return Some(c);
    }
    let entry = keys.iter().find_map(|k| config.auths.get(k))?;
    if let Some(token) = &entry.identitytoken {
        return Some(DockerCredentials {
            identitytoken: Some(token.clone()),
            serveraddress: Some(server),
            ..Default::default()
        });
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(entry.auth.as_ref()?)
        .ok()?;
    let (user, password) = String::from_utf8(decoded)
        .ok()?
        .split_once(':')
        .map(|(u, p)| (u.to_string(), p.to_string()))?;
    Some(DockerCredentials {
        username: Some(user),
        password: Some(password),
        serveraddress: Some(server),
        ..Default::default()
    })
}

fn from_helper(helper: &str, server: &str) -> Option<DockerCredentials> {
    // The helper name comes from the user's own config file; it is run directly, never
    // through a shell, and only if it is a plain name.
    if !helper
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return None;
    }
    let mut child = Command::new(format!("docker-credential-{helper}"))
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(server.as_bytes()).ok()?;
    let output = child.wait_with_output().ok()?;
    if !output.status.success() {
        return None;
    }
    let answer: HelperAnswer = serde_json::from_slice(&output.stdout).ok()?;
    let token = answer.username == "<token>";
    Some(DockerCredentials {
        username: (!token).then_some(answer.username),
        password: (!token).then(|| answer.secret.clone()),
        identitytoken: token.then_some(answer.secret),
        serveraddress: Some(server.to_string()),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries() {
        assert_eq!(registry_of("nginx"), "docker.io");
        assert_eq!(registry_of("library/nginx:1"), "docker.io");
        assert_eq!(registry_of("localhost:5000/app"), "localhost:5000");
        assert_eq!(registry_of("ghcr.io/org/app:1"), "ghcr.io");
    }
}
