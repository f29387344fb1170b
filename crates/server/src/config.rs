//! The server's configuration: flags, then environment variables, then an optional TOML file,
//! then defaults — resolved once in `windflow serve` and passed down as [`ServeConfig`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

/// `windflow serve` flags. Every key can also come from the environment variable shown, or
/// from the `--config` TOML file under the same name with dashes (`listen = "0.0.0.0:8080"`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "WINDFLOW_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Directory for the embedded database, keys and engine state [default: ./windflow-data]
    #[arg(long, env = "WINDFLOW_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// PostgreSQL instead of the embedded SQLite: postgres://user:pass@host/db
    #[arg(long, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// A TOML file with any of these keys
    #[arg(long, env = "WINDFLOW_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Keyring for secrets at rest [default: <data>/secret.keys, created 0600 on first run]
    #[arg(long, env = "WINDFLOW_SECRET_KEY_FILE", value_name = "FILE")]
    pub secret_key_file: Option<PathBuf>,
    /// Deployments run at once [default: 4]
    #[arg(long, env = "WINDFLOW_WORKERS", value_name = "N")]
    pub workers: Option<usize>,
    /// Docker engine registered as the `local` target on first run [default: $DOCKER_HOST or
    /// the local socket]; `none` to register nothing
    #[arg(long, env = "WINDFLOW_LOCAL_DOCKER", value_name = "HOST")]
    pub local_docker: Option<String>,
    /// The URL users reach the server at; `https://` makes session cookies Secure
    #[arg(long, env = "WINDFLOW_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Browser sessions last this long [default: 12h]
    #[arg(long, env = "WINDFLOW_SESSION_TTL", value_name = "DURATION")]
    pub session_ttl: Option<String>,
    /// The longest one service may take to become ready in a deployment [default: 5m]
    #[arg(long, env = "WINDFLOW_DEPLOY_TIMEOUT", value_name = "DURATION")]
    pub deploy_timeout: Option<String>,
    /// On SIGTERM, how long running deployments may finish before they are checkpointed for
    /// the next start [default: 20s]
    #[arg(long, env = "WINDFLOW_SHUTDOWN_GRACE", value_name = "DURATION")]
    pub shutdown_grace: Option<String>,
    /// A worker holds a running deployment under a lease it renews; when the server dies,
    /// another start resumes the deployment once the lease runs out [default: 15s]
    #[arg(long, env = "WINDFLOW_DEPLOYMENT_LEASE", value_name = "DURATION")]
    pub deployment_lease: Option<String>,
    /// Log format: json or text [default: json]
    #[arg(long, env = "WINDFLOW_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Log filter, as RUST_LOG [default: info]
    #[arg(long, env = "WINDFLOW_LOG", value_name = "FILTER")]
    pub log: Option<String>,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key. Agents dial in over it
    #[arg(
        long,
        env = "WINDFLOW_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert
    #[arg(
        long,
        env = "WINDFLOW_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
    /// Address of the HTTPS listener (beside the plain one on --listen) [default: the host of
    /// --listen, port 8443]
    #[arg(long, env = "WINDFLOW_TLS_LISTEN", value_name = "ADDR")]
    pub tls_listen: Option<SocketAddr>,
    /// Serve /metrics only with `Authorization: Bearer <this token>` (for a Prometheus
    /// scraper); without it and without --metrics-listen, only server administrators may read
    /// /metrics
    #[arg(
        long,
        env = "WINDFLOW_METRICS_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,
    /// Also serve /metrics, without credentials and nothing else, on this plain HTTP address
    /// (keep it on a private interface)
    #[arg(long, env = "WINDFLOW_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
    /// How often agents heartbeat; three missed heartbeats mark an agent's target down, and
    /// its commands fail once it has been gone that long [default: 10s]
    #[arg(long, env = "WINDFLOW_AGENT_HEARTBEAT", value_name = "DURATION")]
    pub agent_heartbeat: Option<String>,
    /// The ACME directory certificates are issued from [default: Let's Encrypt]
    #[arg(long, env = "WINDFLOW_ACME_DIRECTORY", value_name = "URL")]
    pub acme_directory: Option<String>,
    /// A PEM file of the root that signs the ACME directory's own HTTPS certificate (a
    /// private CA such as step-ca); the system roots otherwise
    #[arg(long, env = "WINDFLOW_ACME_CA_ROOT", value_name = "FILE")]
    pub acme_ca_root: Option<PathBuf>,
    /// The contact address registered with the ACME account (expiry notices)
    #[arg(long, env = "WINDFLOW_ACME_EMAIL", value_name = "EMAIL")]
    pub acme_email: Option<String>,
    /// The image of each target's gateway [default: caddy:2]
    #[arg(long, env = "WINDFLOW_GATEWAY_IMAGE", value_name = "IMAGE")]
    pub gateway_image: Option<String>,
    /// The image of each target's TCP (layer-4) gateway, run only while TCP routes exist
    /// [default: haproxy:2.6]
    #[arg(long, env = "WINDFLOW_GATEWAY_TCP_IMAGE", value_name = "IMAGE")]
    pub gateway_tcp_image: Option<String>,
    /// Where each target's gateway takes plain HTTP on the target's host [default: 0.0.0.0:80]
    #[arg(long, env = "WINDFLOW_GATEWAY_HTTP", value_name = "ADDR")]
    pub gateway_http: Option<SocketAddr>,
    /// Where each target's gateway takes HTTPS on the target's host [default: 0.0.0.0:443]
    #[arg(long, env = "WINDFLOW_GATEWAY_HTTPS", value_name = "ADDR")]
    pub gateway_https: Option<SocketAddr>,
    /// Where the targets' gateways are reached from outside (an IPv4 or IPv6 address, or a
    /// host name for a CNAME): what the DNS records of deployed domains point at, on targets
    /// without a `public-address` label
    #[arg(long, env = "WINDFLOW_PUBLIC_ADDRESS", value_name = "ADDRESS")]
    pub public_address: Option<String>,
    /// An AI provider URL prefix organizations may use although it is on an internal network
    /// (loopback, private, link-local), e.g. a local Ollama or llama.cpp server; repeat for
    /// several (comma-separated in the environment). Public endpoints need no allowance.
    #[arg(
        long = "ai-allow-endpoint",
        env = "WINDFLOW_AI_ALLOW_ENDPOINTS",
        value_name = "URL",
        value_delimiter = ','
    )]
    pub ai_allow_endpoints: Vec<String>,
    /// The helper image backups run restic in on each target (the official restic image,
    /// or a mirror of it for engines without registry access).
    #[arg(long, env = "WINDFLOW_BACKUP_IMAGE", value_name = "IMAGE")]
    pub backup_image: Option<String>,
    /// A backup repository URL prefix (S3 endpoint, `sftp://host:port`) organizations may use
    /// although it is on an internal network; repeat for several (comma-separated in the
    /// environment). Public endpoints need no allowance.
    #[arg(
        long = "backup-allow-endpoint",
        env = "WINDFLOW_BACKUP_ALLOW_ENDPOINTS",
        value_name = "URL",
        value_delimiter = ','
    )]
    pub backup_allow_endpoints: Vec<String>,
    /// A URL prefix workflows may reach although it is on an internal network (an HTTP
    /// node's URL, a git repository, a notification channel's server); repeat for several
    /// (comma-separated in the environment). Public endpoints need no allowance.
    #[arg(
        long = "workflow-allow-endpoint",
        env = "WINDFLOW_WORKFLOW_ALLOW_ENDPOINTS",
        value_name = "URL",
        value_delimiter = ','
    )]
    pub workflow_allow_endpoints: Vec<String>,
    /// How long finished workflow runs are kept, in days.
    #[arg(long, env = "WINDFLOW_WORKFLOW_RETENTION_DAYS", value_name = "DAYS")]
    pub workflow_retention_days: Option<u32>,
    /// How many backup operations run at once (one per repository at a time).
    #[arg(long, env = "WINDFLOW_BACKUP_WORKERS", value_name = "N")]
    pub backup_workers: Option<usize>,
    /// An OpenID Connect issuer URL prefix SSO providers may use although it is plain HTTP
    /// and not on a loopback address; repeat for several (comma-separated in the
    /// environment). HTTPS issuers need no allowance.
    #[arg(
        long = "sso-allow-issuer",
        env = "WINDFLOW_SSO_ALLOW_ISSUERS",
        value_name = "URL",
        value_delimiter = ','
    )]
    pub sso_allow_issuers: Vec<String>,
    /// Refuse password logins except for server administrators (break-glass): everyone else
    /// signs in through single sign-on.
    #[arg(long, env = "WINDFLOW_DISABLE_PASSWORD_LOGIN")]
    pub disable_password_login: bool,
}

/// The same keys, from the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileConfig {
    listen: Option<SocketAddr>,
    data: Option<PathBuf>,
    database_url: Option<String>,
    secret_key_file: Option<PathBuf>,
    workers: Option<usize>,
    local_docker: Option<String>,
    public_url: Option<String>,
    session_ttl: Option<String>,
    deploy_timeout: Option<String>,
    shutdown_grace: Option<String>,
    deployment_lease: Option<String>,
    log_format: Option<String>,
    log: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_listen: Option<SocketAddr>,
    metrics_token: Option<String>,
    metrics_listen: Option<SocketAddr>,
    agent_heartbeat: Option<String>,
    acme_directory: Option<String>,
    acme_ca_root: Option<PathBuf>,
    acme_email: Option<String>,
    gateway_image: Option<String>,
    gateway_tcp_image: Option<String>,
    gateway_http: Option<SocketAddr>,
    gateway_https: Option<SocketAddr>,
    public_address: Option<String>,
    ai_allow_endpoints: Option<Vec<String>>,
    backup_image: Option<String>,
    backup_allow_endpoints: Option<Vec<String>>,
    backup_workers: Option<usize>,
    workflow_allow_endpoints: Option<Vec<String>>,
    workflow_retention_days: Option<u32>,
    sso_allow_issuers: Option<Vec<String>>,
    disable_password_login: Option<bool>,
}

/// Where certificates come from.
#[derive(Debug, Clone)]
pub struct AcmeConfig {
    pub directory_url: String,
    /// The root trusted for the directory's HTTPS (PEM), for a private CA.
    pub ca_root_pem: Option<String>,
    pub email: Option<String>,
}

/// How each target's gateway runs.
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    pub image: String,
    /// The TCP gateway's (HAProxy) image.
    pub tcp_image: String,
    pub http: SocketAddr,
    pub https: SocketAddr,
    /// What DNS records of deployed domains point at, unless a target's `public-address`
    /// label says otherwise.
    pub public_address: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
}

/// The official restic image, the default helper of backups.
pub const DEFAULT_BACKUP_IMAGE: &str = "restic/restic:0.17.3";

/// Everything the server needs to know, resolved.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub secret_key_file: PathBuf,
    pub workers: usize,
    /// `None`: register no local target.
    pub local_docker: Option<String>,
    pub secure_cookies: bool,
    pub session_ttl: Duration,
    pub deploy_timeout: Duration,
    pub shutdown_grace: Duration,
    pub log_format: LogFormat,
    pub log_filter: String,
    /// A deployment's lease; a worker renews it at a third of this.
    pub lease: Duration,
    /// How long an address that failed too often for one account stays refused for it.
    pub lockout_for: Duration,
    /// HTTPS: (certificate chain, private key), PEM files.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub tls_listen: SocketAddr,
    /// `/metrics` needs `Authorization: Bearer <token>` (else: a server administrator).
    pub metrics_token: Option<String>,
    /// A separate plain listener serving only `/metrics`, without credentials.
    pub metrics_listen: Option<SocketAddr>,
    pub agent_heartbeat: Duration,
    pub acme: AcmeConfig,
    pub gateway: GatewaySettings,
    /// AI provider URL prefixes allowed although internal (`--ai-allow-endpoint`).
    pub ai_allowed_endpoints: Vec<String>,
    /// The image backups run restic in (`--backup-image`).
    pub backup_image: String,
    /// Backup repository URL prefixes allowed although internal (`--backup-allow-endpoint`).
    pub backup_allowed_endpoints: Vec<String>,
    pub backup_workers: usize,
    /// URL prefixes workflows may reach although internal (`--workflow-allow-endpoint`).
    pub workflow_allowed_endpoints: Vec<String>,
    /// How long finished workflow runs are kept.
    pub workflow_retention: Duration,
    /// The URL browsers reach the server at (`--public-url`), when given: SSO redirects, and
    /// the WebAuthn origin and relying party of passkeys.
    pub public_url: Option<String>,
    /// Plain-HTTP issuer URL prefixes allowed for SSO providers (`--sso-allow-issuer`).
    pub sso_allowed_issuers: Vec<String>,
    /// Password login only for server administrators (`--disable-password-login`).
    pub disable_password_login: bool,
}

impl ServeConfig {
    /// Flags and environment (already merged by clap) over the file over defaults.
    pub fn resolve(args: ServeArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading config file {}", path.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .with_context(|| format!("config file {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let data_dir = args
            .data
            .or(file.data)
            .unwrap_or_else(|| PathBuf::from("windflow-data"));
        let data_dir = absolute(&data_dir)?;
        let duration = |key: &str, value: Option<String>, default: &str| {
            let text = value.unwrap_or_else(|| default.to_string());
            windflow_domain::units::parse_duration(&text).map_err(|e| anyhow::anyhow!("{key}: {e}"))
        };
        let public_url = args.public_url.or(file.public_url);
        let log_format = match args
            .log_format
            .or(file.log_format)
            .as_deref()
            .unwrap_or("json")
        {
            "json" => LogFormat::Json,
            "text" => LogFormat::Text,
            other => bail!("log-format: expected json or text, got {other:?}"),
        };
        let workers = args.workers.or(file.workers).unwrap_or(4);
        if workers == 0 {
            bail!("workers: must be at least 1");
        }
        let local_docker = match args.local_docker.or(file.local_docker) {
            Some(v) if v == "none" => None,
            Some(v) => Some(v),
            None => Some(std::env::var("DOCKER_HOST").unwrap_or_default()),
        };
        let listen = args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        Ok(Self {
            listen,
            secret_key_file: args
                .secret_key_file
                .or(file.secret_key_file)
                .unwrap_or_else(|| data_dir.join("secret.keys")),
            database_url: args
                .database_url
                .or(file.database_url)
                .filter(|u| !u.is_empty()),
            data_dir,
            workers,
            local_docker,
            secure_cookies: public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://")),
            session_ttl: duration("session-ttl", args.session_ttl.or(file.session_ttl), "12h")?,
            deploy_timeout: duration(
                "deploy-timeout",
                args.deploy_timeout.or(file.deploy_timeout),
                "5m",
            )?,
            shutdown_grace: duration(
                "shutdown-grace",
                args.shutdown_grace.or(file.shutdown_grace),
                "20s",
            )?,
            log_format,
            log_filter: args.log.or(file.log).unwrap_or_else(|| "info".into()),
            lease: duration(
                "deployment-lease",
                args.deployment_lease.or(file.deployment_lease),
                "15s",
            )?,
            lockout_for: Duration::from_secs(15 * 60),
            tls: match (
                args.tls_cert.or(file.tls_cert),
                args.tls_key.or(file.tls_key),
            ) {
                (Some(cert), Some(key)) => Some((cert, key)),
                (None, None) => None,
                _ => bail!("tls-cert and tls-key: give both or neither"),
            },
            tls_listen: args
                .tls_listen
                .or(file.tls_listen)
                // The same interface as the plain listener: loopback stays loopback.
                .unwrap_or_else(|| SocketAddr::new(listen.ip(), 8443)),
            metrics_token: match args
                .metrics_token
                .or(file.metrics_token)
                .filter(|t| !t.is_empty())
            {
                Some(token) if token.len() < 16 => {
                    bail!("metrics-token: use at least 16 characters")
                }
                Some(token) => Some(token),
                None => None,
            },
            metrics_listen: args.metrics_listen.or(file.metrics_listen),
            agent_heartbeat: {
                let heartbeat = duration(
                    "agent-heartbeat",
                    args.agent_heartbeat.or(file.agent_heartbeat),
                    "10s",
                )?;
                if heartbeat < Duration::from_secs(1) {
                    bail!("agent-heartbeat: must be at least 1s");
                }
                heartbeat
            },
            acme: AcmeConfig {
                directory_url: args
                    .acme_directory
                    .or(file.acme_directory)
                    .unwrap_or_else(|| windflow_acme::LETS_ENCRYPT_PRODUCTION.to_string()),
                ca_root_pem: match args.acme_ca_root.or(file.acme_ca_root) {
                    Some(path) => Some(
                        std::fs::read_to_string(&path)
                            .with_context(|| format!("acme-ca-root: reading {}", path.display()))?,
                    ),
                    None => None,
                },
                email: args
                    .acme_email
                    .or(file.acme_email)
                    .filter(|e| !e.is_empty()),
            },
            gateway: GatewaySettings {
                image: args
                    .gateway_image
                    .or(file.gateway_image)
                    .unwrap_or_else(|| "caddy:2".to_string()),
                tcp_image: args
                    .gateway_tcp_image
                    .or(file.gateway_tcp_image)
                    .unwrap_or_else(|| "haproxy:2.6".to_string()),
                http: args
                    .gateway_http
                    .or(file.gateway_http)
                    .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 80))),
                https: args
                    .gateway_https
                    .or(file.gateway_https)
                    .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 443))),
                public_address: args
                    .public_address
                    .or(file.public_address)
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty()),
            },
            ai_allowed_endpoints: if args.ai_allow_endpoints.is_empty() {
                file.ai_allow_endpoints.unwrap_or_default()
            } else {
                args.ai_allow_endpoints
            }
            .into_iter()
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .collect(),
            backup_image: args
                .backup_image
                .or(file.backup_image)
                .unwrap_or_else(|| DEFAULT_BACKUP_IMAGE.to_string()),
            workflow_allowed_endpoints: if args.workflow_allow_endpoints.is_empty() {
                file.workflow_allow_endpoints.unwrap_or_default()
            } else {
                args.workflow_allow_endpoints
            }
            .into_iter()
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .collect(),
            workflow_retention: Duration::from_secs(
                u64::from(
                    args.workflow_retention_days
                        .or(file.workflow_retention_days)
                        .unwrap_or(90),
                ) * 86_400,
            ),
            backup_allowed_endpoints: if args.backup_allow_endpoints.is_empty() {
                file.backup_allow_endpoints.unwrap_or_default()
            } else {
                args.backup_allow_endpoints
            }
            .into_iter()
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .collect(),
            backup_workers: args
                .backup_workers
                .or(file.backup_workers)
                .unwrap_or(2)
                .max(1),
            public_url: public_url
                .as_deref()
                .map(|u| u.trim().trim_end_matches('/').to_string())
                .filter(|u| !u.is_empty()),
            sso_allowed_issuers: if args.sso_allow_issuers.is_empty() {
                file.sso_allow_issuers.unwrap_or_default()
            } else {
                args.sso_allow_issuers
            }
            .into_iter()
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .collect(),
            disable_password_login: args.disable_password_login
                || file.disable_password_login.unwrap_or(false),
        })
    }
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    Ok(std::env::current_dir()
        .context("reading the current directory")?
        .join(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let config = ServeConfig::resolve(ServeArgs {
            local_docker: Some("none".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert!(config.data_dir.ends_with("windflow-data"));
        assert_eq!(config.workers, 4);
        assert_eq!(config.local_docker, None);
        assert!(!config.secure_cookies);
        assert_eq!(config.session_ttl, Duration::from_secs(12 * 3600));
        assert_eq!(config.tls_listen.to_string(), "127.0.0.1:8443");
    }

    #[test]
    fn the_https_listener_follows_the_plain_one_unless_given() {
        let resolve = |listen: &str, tls_listen: Option<&str>| {
            ServeConfig::resolve(ServeArgs {
                local_docker: Some("none".into()),
                listen: Some(listen.parse().unwrap()),
                tls_listen: tls_listen.map(|a| a.parse().unwrap()),
                ..Default::default()
            })
            .unwrap()
            .tls_listen
            .to_string()
        };
        assert_eq!(resolve("127.0.0.1:9000", None), "127.0.0.1:8443");
        assert_eq!(resolve("[::1]:9000", None), "[::1]:8443");
        assert_eq!(resolve("0.0.0.0:80", None), "0.0.0.0:8443");
        assert_eq!(
            resolve("127.0.0.1:9000", Some("0.0.0.0:9443")),
            "0.0.0.0:9443"
        );
    }

    #[test]
    fn flags_win_over_the_file() {
        let dir = std::env::temp_dir().join(format!("wf-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("windflow.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\nworkers = 2\npublic-url = \"https://wf.example\"\n",
        )
        .unwrap();
        let config = ServeConfig::resolve(ServeArgs {
            config: Some(file.clone()),
            workers: Some(7),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(config.workers, 7);
        assert!(config.secure_cookies);

        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\nlisten-port = 1\n").unwrap();
        let err = ServeConfig::resolve(ServeArgs {
            config: Some(file),
            ..Default::default()
        })
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("unknown field `listen-port`"),
            "{err:#}"
        );
    }
}
