//! The gateway container on a target: its network, its container, and pushing configurations
//! into it. The only module of this crate that speaks the Engine API (bollard).
//!
//! Caddy's admin API listens on `localhost:2019` inside the container's own network namespace,
//! so nothing outside the container can reach it. WindFlow reaches it through the Engine API,
//! which works over every transport a target uses (socket, TLS, SSH): it uploads the JSON
//! into the container (`PUT /containers/{id}/archive`) and execs `caddy reload --config <file>
//! --force` there, which POSTs it to the local admin API. Caddy swaps configurations
//! gracefully, and refuses a bad one while the previous one keeps serving.

use std::collections::HashMap;
use std::time::Duration;

use bollard::Docker;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{
    ContainerCreateBody, HostConfig, NetworkCreateRequest, PortBinding, RestartPolicy,
    RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptions, InspectContainerOptions, InspectNetworkOptions, RemoveContainerOptions,
    StartContainerOptions, UploadToContainerOptions,
};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use windflow_domain::naming::LABEL_MANAGED_BY;

use crate::caddy::{ADMIN_LISTEN, HTTP_PORT, HTTPS_PORT, caddy_json};
use crate::model::GatewayConfig;
use crate::validate::{InvalidConfig, validate};

/// The file Caddy starts from; each accepted configuration is written here too, so a restarted
/// gateway serves the last accepted configuration.
pub const CONFIG_PATH: &str = "/etc/caddy/windflow.json";
/// Where a candidate configuration is uploaded before Caddy is asked to load it.
pub const PENDING_CONFIG_PATH: &str = "/etc/caddy/windflow.pending.json";
/// Marks the gateway's container and network as WindFlow's.
pub const LABEL_GATEWAY: &str = "io.windflow.gateway";
/// The settings a gateway container was created with; other settings recreate it.
pub const LABEL_GATEWAY_SETTINGS: &str = "io.windflow.gateway.settings";

/// How long a removed gateway network may take to disappear before it is created again.
const NETWORK_GONE_TIMEOUT: Duration = Duration::from_secs(15);
/// How long `apply` waits for a just-started Caddy's admin API to answer.
const ADMIN_READY_TIMEOUT: Duration = Duration::from_secs(10);

/// The image the gateway runs. Default `caddy:2` (upstream). Any image works whose `caddy`
/// binary is on `PATH` and that has a `wget` (for [`GatewayRuntime::status`]); WindFlow
/// overrides its command, so the admin API stays on `localhost:2019` — never publish it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayImage(pub String);

impl Default for GatewayImage {
    fn default() -> Self {
        Self("caddy:2".into())
    }
}

/// What kind of network the gateway shares with the services it routes to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GatewayNetworkDriver {
    /// A bridge network: the containers of one engine (docker and ssh targets).
    #[default]
    Bridge,
    /// An attachable overlay network, on a Swarm manager: the Swarm services' tasks and the
    /// gateway's plain containers (created on the manager) both join it.
    Overlay,
}

impl GatewayNetworkDriver {
    /// The Engine API's name of the driver.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bridge => "bridge",
            Self::Overlay => "overlay",
        }
    }
}

/// A host port a gateway port is published on; `host_ip` `None` is every interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedPort {
    pub host_ip: Option<String>,
    pub port: u16,
}

/// How a target's gateway runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewaySettings {
    pub image: GatewayImage,
    pub container_name: String,
    /// The network the gateway shares with the services it routes to.
    pub network: String,
    /// Its driver: bridge, or an attachable overlay on a Swarm manager.
    pub network_driver: GatewayNetworkDriver,
    /// Where port 80 is published (`None`: not published).
    pub http: Option<PublishedPort>,
    /// Where port 443 is published (`None`: not published).
    pub https: Option<PublishedPort>,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            image: GatewayImage::default(),
            container_name: "windflow-gateway".into(),
            network: "windflow-gateway".into(),
            network_driver: GatewayNetworkDriver::Bridge,
            http: Some(PublishedPort {
                host_ip: None,
                port: 80,
            }),
            https: Some(PublishedPort {
                host_ip: None,
                port: 443,
            }),
        }
    }
}

impl GatewaySettings {
    /// What the container label records, to notice changed settings.
    fn fingerprint(&self) -> String {
        let port = |p: &Option<PublishedPort>| match p {
            Some(p) => format!("{}:{}", p.host_ip.as_deref().unwrap_or(""), p.port),
            None => "-".into(),
        };
        format!(
            "image={} network={}{} http={} https={}",
            self.image.0,
            self.network,
            driver_mark(self.network_driver),
            port(&self.http),
            port(&self.https)
        )
    }
}

/// A failure of the gateway runtime; each names what it was doing.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(transparent)]
    Invalid(#[from] InvalidConfig),
    /// Caddy refused the configuration; its message, verbatim. The previous one still serves.
    #[error("the gateway refused the configuration (the previous one keeps serving): {message}")]
    Rejected { message: String },
    #[error("{context}: {message}")]
    Engine { context: String, message: String },
}

pub(crate) fn engine(
    context: impl Into<String>,
) -> impl FnOnce(bollard::errors::Error) -> GatewayError {
    let context = context.into();
    move |e| GatewayError::Engine {
        context,
        message: e.to_string(),
    }
}

/// The Engine API client the runtimes drive a gateway through (named here so that code
/// holding one, as the agent's op executor does, needs no Engine API import of its own).
pub type EngineClient = Docker;

/// What `ensure` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ensured {
    /// It was running with these settings.
    Running,
    /// It existed and was started.
    Started,
    /// It was created (or recreated for other settings) and serves nothing yet: apply the
    /// configuration.
    Created,
}

/// What a command run in the gateway container printed, and its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    pub exit_code: i64,
    /// stdout and stderr, interleaved.
    pub output: String,
}

/// One upstream as Caddy counts it (`GET /reverse_proxy/upstreams`). Caddy 2.6 reports
/// requests in flight and recent failures (passive checks); it does not expose the result
/// of its active health checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamStatus {
    pub address: String,
    pub num_requests: i64,
    pub fails: i64,
}

impl UpstreamStatus {
    /// No failed request within the passive check's window.
    pub fn healthy(&self) -> bool {
        self.fails == 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayStatus {
    pub upstreams: Vec<UpstreamStatus>,
}

/// One target's gateway. Share one per target: applies through it run one at a time.
pub struct GatewayRuntime {
    docker: Docker,
    settings: GatewaySettings,
    /// Held across an apply, so two never interleave their uploads and reloads.
    applying: tokio::sync::Mutex<()>,
}

impl GatewayRuntime {
    pub fn new(docker: Docker, settings: GatewaySettings) -> Self {
        Self {
            docker,
            settings,
            applying: tokio::sync::Mutex::new(()),
        }
    }

    pub fn settings(&self) -> &GatewaySettings {
        &self.settings
    }

    /// Makes sure the gateway network exists and the gateway container runs with the
    /// current settings.
    pub async fn ensure(&self) -> Result<Ensured, GatewayError> {
        self.ensure_network().await?;
        let name = &self.settings.container_name;
        let fingerprint = self.settings.fingerprint();
        match self
            .docker
            .inspect_container(name, None::<InspectContainerOptions>)
            .await
        {
            Ok(existing) => {
                let current = existing
                    .config
                    .as_ref()
                    .and_then(|c| c.labels.as_ref())
                    .and_then(|l| l.get(LABEL_GATEWAY_SETTINGS))
                    .is_some_and(|l| *l == fingerprint);
                if current {
                    let running = existing
                        .state
                        .as_ref()
                        .and_then(|s| s.running)
                        .unwrap_or(false);
                    if running {
                        return Ok(Ensured::Running);
                    }
                    self.docker
                        .start_container(name, None::<StartContainerOptions>)
                        .await
                        .map_err(engine(format!("starting the gateway container {name}")))?;
                    return Ok(Ensured::Started);
                }
                tracing::info!(container = %name, "gateway settings changed; recreating");
                self.remove_container().await?;
            }
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => {}
            Err(e) => {
                return Err(engine(format!("inspecting the gateway container {name}"))(
                    e,
                ));
            }
        }
        self.create_container(&fingerprint).await?;
        Ok(Ensured::Created)
    }

    async fn ensure_network(&self) -> Result<(), GatewayError> {
        ensure_network(
            &self.docker,
            &self.settings.network,
            self.settings.network_driver,
        )
        .await
    }

    /// Pulls the gateway's image when the engine does not have it (the upstream `caddy:2`
    /// on a fresh target); a locally built image is used as it is.
    async fn ensure_image(&self) -> Result<(), GatewayError> {
        ensure_image(&self.docker, &self.settings.image.0).await
    }

    async fn create_container(&self, fingerprint: &str) -> Result<(), GatewayError> {
        self.ensure_image().await?;
        let name = &self.settings.container_name;
        create_gateway_container(
            &self.docker,
            &GatewayContainer {
                name,
                image: &self.settings.image.0,
                command: &["caddy", "run", "--config", CONFIG_PATH],
                ports: &[
                    (HTTP_PORT, self.settings.http.clone()),
                    (HTTPS_PORT, self.settings.https.clone()),
                ],
                role: "container",
                fingerprint: Some(fingerprint),
                stop_signal: None,
                network: &self.settings.network,
            },
            "the gateway container",
        )
        .await?;
        // The starting configuration: the admin API on localhost only, nothing served.
        let initial = serde_json::json!({"admin": {"listen": ADMIN_LISTEN}});
        self.upload_file(CONFIG_PATH, initial.to_string().as_bytes())
            .await?;
        self.docker
            .start_container(name, None::<StartContainerOptions>)
            .await
            .map_err(engine(format!("starting the gateway container {name}")))?;
        Ok(())
    }

    /// Whether the gateway container exists and runs.
    pub async fn running(&self) -> Result<bool, GatewayError> {
        let name = &self.settings.container_name;
        match self
            .docker
            .inspect_container(name, None::<InspectContainerOptions>)
            .await
        {
            Ok(existing) => Ok(existing
                .state
                .as_ref()
                .and_then(|s| s.running)
                .unwrap_or(false)),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(e) => Err(engine(format!("inspecting the gateway container {name}"))(
                e,
            )),
        }
    }

    /// Removes the gateway container (not the network, which services may still use).
    pub async fn remove_container(&self) -> Result<(), GatewayError> {
        remove_container(&self.docker, &self.settings.container_name).await
    }

    /// Validates `config`, then makes the gateway serve it. On `Rejected` (Caddy's message
    /// verbatim) or any error, the previous configuration keeps serving.
    pub async fn apply(&self, config: &GatewayConfig) -> Result<(), GatewayError> {
        validate(config)?;
        let _one_at_a_time = self.applying.lock().await;
        let https_port = self.public_https_port().await;
        let json = serde_json::to_vec_pretty(&caddy_json(config, https_port))
            .expect("JSON values serialize");
        self.upload_file(PENDING_CONFIG_PATH, &json).await?;
        let deadline = tokio::time::Instant::now() + ADMIN_READY_TIMEOUT;
        loop {
            let output = self
                .exec(&[
                    "caddy",
                    "reload",
                    "--config",
                    PENDING_CONFIG_PATH,
                    "--force",
                ])
                .await?;
            if output.exit_code == 0 {
                break;
            }
            let message = caddy_error(&output.output);
            // A gateway that has just started may not listen on its admin port yet.
            if message.contains("connection refused") && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            return Err(GatewayError::Rejected { message });
        }
        // Accepted: make it the configuration a restarted gateway starts from.
        self.upload_file(CONFIG_PATH, &json).await
    }

    /// The host port HTTPS is published on, which redirects name: the configured one, or the
    /// one the engine picked for port 0 (read back from the container); 443 when HTTPS is not
    /// published (a proxy in front of the gateway is then expected to serve it there).
    async fn public_https_port(&self) -> u16 {
        match &self.settings.https {
            Some(published) if published.port != 0 => published.port,
            Some(_) => self
                .docker
                .inspect_container(&self.settings.container_name, None)
                .await
                .ok()
                .and_then(|c| {
                    c.network_settings?
                        .ports?
                        .remove(&format!("{HTTPS_PORT}/tcp"))?
                })
                .and_then(|bindings| bindings.first()?.host_port.as_deref()?.parse().ok())
                .unwrap_or(HTTPS_PORT),
            None => HTTPS_PORT,
        }
    }

    /// What Caddy counts per upstream, read from its admin API inside the container.
    pub async fn status(&self) -> Result<GatewayStatus, GatewayError> {
        let url = format!("http://{ADMIN_LISTEN}/reverse_proxy/upstreams");
        let output = self.exec(&["wget", "-q", "-O", "-", &url]).await?;
        if output.exit_code != 0 {
            return Err(GatewayError::Engine {
                context: "reading the gateway's upstreams".into(),
                message: output.output.trim().to_string(),
            });
        }
        let upstreams =
            serde_json::from_str(output.output.trim()).map_err(|e| GatewayError::Engine {
                context: "reading the gateway's upstreams".into(),
                message: format!("{e}: {}", output.output.trim()),
            })?;
        Ok(GatewayStatus { upstreams })
    }

    /// Writes `content` at the absolute `path` in the gateway container (mode 0644).
    pub async fn upload_file(&self, path: &str, content: &[u8]) -> Result<(), GatewayError> {
        upload_file(&self.docker, &self.settings.container_name, path, content).await
    }

    /// Runs `argv` in the gateway container and waits for it.
    pub async fn exec(&self, argv: &[&str]) -> Result<ExecOutput, GatewayError> {
        exec(&self.docker, &self.settings.container_name, argv).await
    }
}

/// What a fingerprint adds for the network's driver: nothing for a bridge (the fingerprint
/// gateways created before the setting existed carry), ` driver=overlay` otherwise.
pub(crate) fn driver_mark(driver: GatewayNetworkDriver) -> String {
    match driver {
        GatewayNetworkDriver::Bridge => String::new(),
        other => format!(" driver={}", other.as_str()),
    }
}

/// Creates the gateway's network with `driver` unless it exists (or is created concurrently).
/// One that exists with another driver (or an overlay that is not attachable) is recreated
/// when only the gateway's own containers are attached to it — they are removed first and
/// recreated by their `ensure` — and refused, naming what is attached, otherwise.
pub(crate) async fn ensure_network(
    docker: &Docker,
    network: &str,
    driver: GatewayNetworkDriver,
) -> Result<(), GatewayError> {
    match docker
        .inspect_network(network, None::<InspectNetworkOptions>)
        .await
    {
        Ok(existing) => {
            let found = existing.driver.clone().unwrap_or_default();
            let fits = found == driver.as_str()
                && (driver != GatewayNetworkDriver::Overlay || existing.attachable == Some(true));
            if fits {
                return Ok(());
            }
            let wanted = match driver {
                GatewayNetworkDriver::Bridge => "a bridge network".to_string(),
                GatewayNetworkDriver::Overlay => "an attachable overlay network".to_string(),
            };
            // The overlay's load-balancer endpoint (`lb-<network>`) is the network's own.
            let attached: Vec<String> = existing
                .containers
                .unwrap_or_default()
                .into_iter()
                .filter(|(id, _)| !id.starts_with("lb-"))
                .map(|(id, c)| c.name.unwrap_or(id))
                .collect();
            let mut others = Vec::new();
            for name in &attached {
                if !is_gateway_container(docker, name).await {
                    others.push(name.clone());
                }
            }
            if !others.is_empty() {
                return Err(GatewayError::Engine {
                    context: format!("the gateway network {network}"),
                    message: format!(
                        "it is a {found} network, this target needs {wanted}, and {} still attached to it: remove them from it, then deploy again",
                        others.join(", ")
                    ),
                });
            }
            tracing::info!(
                network = %network,
                found = %found,
                wanted = %driver.as_str(),
                "recreating the gateway network with another driver"
            );
            for name in &attached {
                remove_container(docker, name).await?;
            }
            match docker.remove_network(network).await {
                Ok(())
                | Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404, ..
                }) => {}
                Err(e) => {
                    return Err(engine(format!(
                        "removing the {found} network {network} to recreate it as {wanted} (is a Swarm service still attached to it?)"
                    ))(e));
                }
            }
            // A Swarm manager forgets an overlay asynchronously: until it has, the name still
            // resolves to it, and a container created on the name fails to attach.
            let deadline = tokio::time::Instant::now() + NETWORK_GONE_TIMEOUT;
            while docker
                .inspect_network(network, None::<InspectNetworkOptions>)
                .await
                .is_ok()
                && tokio::time::Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => {}
        Err(e) => return Err(engine(format!("inspecting the network {network}"))(e)),
    }
    let overlay = driver == GatewayNetworkDriver::Overlay;
    let request = NetworkCreateRequest {
        name: network.to_string(),
        driver: Some(driver.as_str().into()),
        attachable: overlay.then_some(true),
        labels: Some(HashMap::from([
            (LABEL_MANAGED_BY.to_string(), "windflow".to_string()),
            (LABEL_GATEWAY.to_string(), "network".to_string()),
        ])),
        ..Default::default()
    };
    match docker.create_network(request).await {
        Ok(_) => Ok(()),
        // Created concurrently: fine.
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 409, ..
        }) => Ok(()),
        Err(e) => Err(engine(format!("creating the network {network}"))(e)),
    }
}

/// Whether the container `name` is one of the gateway's own (HTTP, TCP, or a check).
async fn is_gateway_container(docker: &Docker, name: &str) -> bool {
    docker
        .inspect_container(name, None::<InspectContainerOptions>)
        .await
        .ok()
        .and_then(|c| c.config?.labels)
        .is_some_and(|labels| {
            labels.contains_key(LABEL_GATEWAY)
                && labels.get(LABEL_MANAGED_BY).map(String::as_str) == Some("windflow")
        })
}

/// Pulls `image` when the engine does not have it; a locally built image is used as it is.
/// A container of the gateway: what it runs and publishes, and its role (`LABEL_GATEWAY`).
pub(crate) struct GatewayContainer<'a> {
    pub name: &'a str,
    pub image: &'a str,
    /// The entrypoint, then its arguments.
    pub command: &'a [&'a str],
    /// Container ports, each published where given.
    pub ports: &'a [(u16, Option<PublishedPort>)],
    pub role: &'a str,
    /// The settings it was made for; a long-running container (restarted unless stopped)
    /// has one, a one-off check does not.
    pub fingerprint: Option<&'a str>,
    pub stop_signal: Option<&'a str>,
    pub network: &'a str,
}

/// Creates (does not start) `container`, labelled as WindFlow's gateway; `what` names it in
/// the error.
pub(crate) async fn create_gateway_container(
    docker: &Docker,
    container: &GatewayContainer<'_>,
    what: &str,
) -> Result<(), GatewayError> {
    let mut exposed = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for (container_port, published) in container.ports {
        let key = format!("{container_port}/tcp");
        exposed.push(key.clone());
        if let Some(published) = published {
            bindings.insert(
                key,
                Some(vec![PortBinding {
                    host_ip: published.host_ip.clone(),
                    host_port: Some(published.port.to_string()),
                }]),
            );
        }
    }
    let mut labels = HashMap::from([
        (LABEL_MANAGED_BY.to_string(), "windflow".to_string()),
        (LABEL_GATEWAY.to_string(), container.role.to_string()),
    ]);
    if let Some(fingerprint) = container.fingerprint {
        labels.insert(LABEL_GATEWAY_SETTINGS.to_string(), fingerprint.to_string());
    }
    let (entrypoint, args) =
        container
            .command
            .split_first()
            .map_or((None, None), |(first, rest)| {
                (
                    Some(vec![first.to_string()]),
                    Some(rest.iter().map(|a| a.to_string()).collect()),
                )
            });
    let body = ContainerCreateBody {
        image: Some(container.image.to_string()),
        entrypoint,
        cmd: args,
        exposed_ports: Some(exposed),
        stop_signal: container.stop_signal.map(str::to_string),
        labels: Some(labels),
        host_config: Some(HostConfig {
            network_mode: Some(container.network.to_string()),
            port_bindings: Some(bindings),
            restart_policy: container.fingerprint.map(|_| RestartPolicy {
                name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
                maximum_retry_count: None,
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    docker
        .create_container(
            Some(CreateContainerOptions {
                name: Some(container.name.to_string()),
                ..Default::default()
            }),
            body,
        )
        .await
        .map_err(engine(format!(
            "creating {what} {} from {}",
            container.name, container.image
        )))?;
    Ok(())
}

pub(crate) async fn ensure_image(docker: &Docker, image: &str) -> Result<(), GatewayError> {
    if docker.inspect_image(image).await.is_ok() {
        return Ok(());
    }
    tracing::info!(image = %image, "pulling the gateway image");
    let mut pull = docker.create_image(
        Some(bollard::query_parameters::CreateImageOptions {
            from_image: Some(image.to_string()),
            ..Default::default()
        }),
        None,
        None,
    );
    while let Some(progress) = pull.next().await {
        progress.map_err(engine(format!(
            "pulling the gateway image {image} (set the gateway image to one the target can reach)"
        )))?;
    }
    Ok(())
}

/// Removes the container `name`, running or not; a missing one is fine.
pub(crate) async fn remove_container(docker: &Docker, name: &str) -> Result<(), GatewayError> {
    match docker
        .remove_container(
            name,
            Some(RemoveContainerOptions {
                force: true,
                ..Default::default()
            }),
        )
        .await
    {
        Ok(())
        | Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(()),
        Err(e) => Err(engine(format!("removing the gateway container {name}"))(e)),
    }
}

/// Writes `content` at the absolute `path` in the container `name` (mode 0644).
pub(crate) async fn upload_file(
    docker: &Docker,
    name: &str,
    path: &str,
    content: &[u8],
) -> Result<(), GatewayError> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    builder
        .append_data(&mut header, path.trim_start_matches('/'), content)
        .and_then(|()| builder.finish())
        .map_err(|e| GatewayError::Engine {
            context: format!("packing {path}"),
            message: e.to_string(),
        })?;
    let archive = builder.into_inner().map_err(|e| GatewayError::Engine {
        context: format!("packing {path}"),
        message: e.to_string(),
    })?;
    docker
        .upload_to_container(
            name,
            Some(UploadToContainerOptions {
                path: "/".into(),
                ..Default::default()
            }),
            bollard::body_full(archive.into()),
        )
        .await
        .map_err(engine(format!("writing {path} into {name}")))
}

/// Runs `argv` in the container `name` and waits for it.
pub(crate) async fn exec(
    docker: &Docker,
    name: &str,
    argv: &[&str],
) -> Result<ExecOutput, GatewayError> {
    let context = || format!("running {} in {name}", argv.join(" "));
    let created = docker
        .create_exec(
            name,
            CreateExecOptions {
                cmd: Some(argv.iter().map(|a| a.to_string()).collect()),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        )
        .await
        .map_err(engine(context()))?;
    let mut output = String::new();
    if let StartExecResults::Attached {
        output: mut stream, ..
    } = docker
        .start_exec(&created.id, None)
        .await
        .map_err(engine(context()))?
    {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(engine(context()))?;
            output.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
        }
    }
    let inspected = docker
        .inspect_exec(&created.id)
        .await
        .map_err(engine(context()))?;
    Ok(ExecOutput {
        exit_code: inspected.exit_code.unwrap_or(-1),
        output,
    })
}

/// Caddy's own message from `caddy reload`'s output: its `Error: …` lines (the JSON log lines
/// before them are dropped), or everything when there is none.
fn caddy_error(output: &str) -> String {
    let errors: Vec<&str> = output
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('{'))
        .collect();
    if errors.is_empty() {
        output.trim().to_string()
    } else {
        errors.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caddys_error_line_is_kept_and_its_log_lines_dropped() {
        let output = "{\"level\":\"info\",\"msg\":\"using provided configuration\"}\n\
                      Error: sending configuration to instance: caddy responded with error: \
                      HTTP 400: {\"error\":\"loading config: unknown module\"}\n";
        assert_eq!(
            caddy_error(output),
            "Error: sending configuration to instance: caddy responded with error: HTTP 400: \
             {\"error\":\"loading config: unknown module\"}"
        );
    }

    #[test]
    fn other_settings_give_another_fingerprint() {
        let default = GatewaySettings::default();
        let mut other = default.clone();
        other.https = None;
        assert_ne!(default.fingerprint(), other.fingerprint());
        assert_eq!(
            default.fingerprint(),
            "image=caddy:2 network=windflow-gateway http=:80 https=:443"
        );
        // On a Swarm manager: an overlay, which a bridge-era container does not match.
        let swarm = GatewaySettings {
            network_driver: GatewayNetworkDriver::Overlay,
            ..default.clone()
        };
        assert_eq!(
            swarm.fingerprint(),
            "image=caddy:2 network=windflow-gateway driver=overlay http=:80 https=:443"
        );
    }
}
