//! The TCP (layer-4) gateway container on a target: HAProxy beside Caddy, on the same gateway
//! network, and pushing TCP routes into it. Speaks the Engine API (bollard) through the same
//! helpers as [`crate::runtime`].
//!
//! HAProxy runs in master-worker mode (`-W`) as the container's PID 1, from
//! [`TCP_CONFIG_PATH`]. A change of routes on the same listen ports is uploaded as
//! [`TCP_PENDING_CONFIG_PATH`], checked with `haproxy -c` inside the container, and only then
//! written over the configuration and loaded with `kill -USR2 1`: the master starts new
//! workers from the file and lets the old ones finish their established connections, so a
//! reload drops no connection. There is no stats socket and no master socket: nothing that
//! controls the proxy exists to be published.
//!
//! Published ports cannot change on a running container, so a change of the set of listen
//! ports recreates it (established connections through it are cut); the new configuration is
//! checked first with `haproxy -c` in a short-lived container, so a refused one leaves the
//! old container serving. With no TCP routes, no container exists.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bollard::Docker;
use bollard::query_parameters::{InspectContainerOptions, LogsOptions, StartContainerOptions};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::haproxy::{haproxy_cfg, listen_ports};
use crate::model::TcpRoute;
use crate::runtime::{
    ExecOutput, GatewayContainer, GatewayError, GatewayNetworkDriver, GatewaySettings,
    LABEL_GATEWAY_SETTINGS, PublishedPort, create_gateway_container, driver_mark, engine,
    ensure_image, ensure_network, exec, remove_container, upload_file,
};
use crate::validate::validate_tcp;

/// The file HAProxy starts and reloads from (the upstream image's default path); each
/// accepted configuration is written here, so a restarted container serves the last one.
pub const TCP_CONFIG_PATH: &str = "/usr/local/etc/haproxy/haproxy.cfg";
/// Where a candidate configuration is uploaded and checked before it replaces the other.
pub const TCP_PENDING_CONFIG_PATH: &str = "/usr/local/etc/haproxy/windflow.pending.cfg";

/// How long to wait for HAProxy to start a worker after a start or a reload.
const WORKER_TIMEOUT_TENTHS: u32 = 100;

/// Lists HAProxy's workers (PID 1's children), then either waits for any (`start`) or sends
/// the reload signal and waits for a worker that was not there before (`reload`). Only shell
/// built-ins, `kill` and `sleep`: the upstream image has no procps, the test image is busybox.
const WORKER_SCRIPT: &str = r#"
workers() {
    for f in /proc/[0-9]*/stat; do
        read -r pid comm state ppid rest 2>/dev/null < "$f" || continue
        [ "$ppid" = 1 ] && echo "$pid"
    done
}
before=" "
if [ "$1" = reload ]; then
    before=" $(echo $(workers)) "
    kill -USR2 1 || exit 2
fi
i=0
while [ "$i" -lt "$2" ]; do
    for p in $(workers); do
        case "$before" in *" $p "*) ;; *) exit 0 ;; esac
    done
    sleep 0.1
    i=$((i + 1))
done
echo "HAProxy started no new worker within $(($2 / 10)) s"
exit 3
"#;

/// The image the TCP gateway runs. Default `haproxy:2.6` (upstream). Any image works whose
/// `haproxy` is on `PATH` with `sh`, `kill` and `sleep`; WindFlow overrides its entrypoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpGatewayImage(pub String);

impl Default for TcpGatewayImage {
    fn default() -> Self {
        Self("haproxy:2.6".into())
    }
}

/// How a target's TCP gateway runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpGatewaySettings {
    pub image: TcpGatewayImage,
    pub container_name: String,
    /// The network shared with the HTTP gateway and the services.
    pub network: String,
    /// Its driver, as the HTTP gateway's.
    pub network_driver: GatewayNetworkDriver,
    /// The host address each listen port is published on (`None`: every interface).
    pub host_ip: Option<String>,
    /// Host ports no TCP route may listen on: the HTTP gateway's.
    pub reserved_ports: Vec<u16>,
}

impl TcpGatewaySettings {
    /// Beside the HTTP gateway `http`: same network, published on the address its HTTPS (or
    /// HTTP) port is, never on its ports; the container is `<its name>-tcp`.
    pub fn beside(http: &GatewaySettings, image: TcpGatewayImage) -> Self {
        let published = [&http.http, &http.https];
        Self {
            image,
            container_name: format!("{}-tcp", http.container_name),
            network: http.network.clone(),
            network_driver: http.network_driver,
            host_ip: http
                .https
                .as_ref()
                .or(http.http.as_ref())
                .and_then(|p| p.host_ip.clone()),
            reserved_ports: published
                .iter()
                .filter_map(|p| p.as_ref().map(|p| p.port))
                .filter(|port| *port != 0)
                .collect(),
        }
    }

    /// What the container label records; another value (image, network, address or set of
    /// listen ports) recreates the container.
    fn fingerprint(&self, ports: &[u16]) -> String {
        let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
        format!(
            "image={} network={}{} host_ip={} ports={}",
            self.image.0,
            self.network,
            driver_mark(self.network_driver),
            self.host_ip.as_deref().unwrap_or(""),
            ports.join(",")
        )
    }
}

/// What [`TcpGatewayRuntime::apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TcpApplied {
    /// The running container reloaded; established connections were kept.
    Reloaded,
    /// The container was created (or recreated for other listen ports or settings).
    Created,
    /// No TCP routes: there is no container (any previous one was removed).
    Removed,
}

/// The TCP gateway container as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpGatewayStatus {
    pub running: bool,
    /// The listen ports published, as the container was created for.
    pub listen_ports: Vec<u16>,
}

/// One target's TCP gateway. Share one per target: applies through it run one at a time.
pub struct TcpGatewayRuntime {
    docker: Docker,
    settings: TcpGatewaySettings,
    applying: tokio::sync::Mutex<()>,
}

impl TcpGatewayRuntime {
    pub fn new(docker: Docker, settings: TcpGatewaySettings) -> Self {
        Self {
            docker,
            settings,
            applying: tokio::sync::Mutex::new(()),
        }
    }

    pub fn settings(&self) -> &TcpGatewaySettings {
        &self.settings
    }

    /// Validates `routes`, then makes the TCP gateway serve exactly them. On `Rejected`
    /// (HAProxy's message verbatim) or `Invalid`, the previous configuration keeps serving.
    pub async fn apply(&self, routes: &[TcpRoute]) -> Result<TcpApplied, GatewayError> {
        validate_tcp(routes, &self.settings.reserved_ports)?;
        let _one_at_a_time = self.applying.lock().await;
        let name = &self.settings.container_name;
        if routes.is_empty() {
            remove_container(&self.docker, name).await?;
            return Ok(TcpApplied::Removed);
        }
        let cfg = haproxy_cfg(routes);
        let ports = listen_ports(routes);
        let fingerprint = self.settings.fingerprint(&ports);
        let existing = self.inspect().await?;
        if let Some((labels_fingerprint, running)) = &existing
            && *labels_fingerprint == fingerprint
        {
            if !*running {
                self.docker
                    .start_container(name, None::<StartContainerOptions>)
                    .await
                    .map_err(engine(format!("starting the TCP gateway container {name}")))?;
                self.wait_for_worker("start").await?;
            }
            upload_file(&self.docker, name, TCP_PENDING_CONFIG_PATH, cfg.as_bytes()).await?;
            let check = exec(
                &self.docker,
                name,
                &["haproxy", "-c", "-f", TCP_PENDING_CONFIG_PATH],
            )
            .await?;
            if check.exit_code != 0 {
                return Err(GatewayError::Rejected {
                    message: check.output.trim().to_string(),
                });
            }
            upload_file(&self.docker, name, TCP_CONFIG_PATH, cfg.as_bytes()).await?;
            self.wait_for_worker("reload").await?;
            return Ok(TcpApplied::Reloaded);
        }
        self.check_in_new_container(&cfg).await?;
        if existing.is_some() {
            tracing::info!(container = %name, ports = ?ports, "TCP gateway listen ports or settings changed; recreating");
            remove_container(&self.docker, name).await?;
        }
        self.create_container(&fingerprint, &ports, &cfg).await?;
        Ok(TcpApplied::Created)
    }

    /// Removes the TCP gateway container (not the network).
    pub async fn remove(&self) -> Result<(), GatewayError> {
        let _one_at_a_time = self.applying.lock().await;
        remove_container(&self.docker, &self.settings.container_name).await
    }

    /// `None` when there is no TCP gateway container.
    pub async fn status(&self) -> Result<Option<TcpGatewayStatus>, GatewayError> {
        let name = &self.settings.container_name;
        let inspected = match self
            .docker
            .inspect_container(name, None::<InspectContainerOptions>)
            .await
        {
            Ok(inspected) => inspected,
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => return Ok(None),
            Err(e) => return Err(engine(format!("inspecting {name}"))(e)),
        };
        let running = inspected
            .state
            .as_ref()
            .and_then(|s| s.running)
            .unwrap_or(false);
        let mut listen_ports: Vec<u16> = inspected
            .host_config
            .as_ref()
            .and_then(|h| h.port_bindings.as_ref())
            .map(|b| {
                b.keys()
                    .filter_map(|k| k.trim_end_matches("/tcp").parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        listen_ports.sort_unstable();
        Ok(Some(TcpGatewayStatus {
            running,
            listen_ports,
        }))
    }

    /// Runs `argv` in the TCP gateway container and waits for it.
    pub async fn exec(&self, argv: &[&str]) -> Result<ExecOutput, GatewayError> {
        exec(&self.docker, &self.settings.container_name, argv).await
    }

    /// The fingerprint label and whether it runs, of the existing container.
    async fn inspect(&self) -> Result<Option<(String, bool)>, GatewayError> {
        let name = &self.settings.container_name;
        match self
            .docker
            .inspect_container(name, None::<InspectContainerOptions>)
            .await
        {
            Ok(existing) => {
                let fingerprint = existing
                    .config
                    .as_ref()
                    .and_then(|c| c.labels.as_ref())
                    .and_then(|l| l.get(LABEL_GATEWAY_SETTINGS))
                    .cloned()
                    .unwrap_or_default();
                let running = existing
                    .state
                    .as_ref()
                    .and_then(|s| s.running)
                    .unwrap_or(false);
                Ok(Some((fingerprint, running)))
            }
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(e) => Err(engine(format!(
                "inspecting the TCP gateway container {name}"
            ))(e)),
        }
    }

    async fn wait_for_worker(&self, mode: &str) -> Result<(), GatewayError> {
        let tenths = WORKER_TIMEOUT_TENTHS.to_string();
        let output = self
            .exec(&["sh", "-c", WORKER_SCRIPT, "sh", mode, &tenths])
            .await?;
        if output.exit_code != 0 {
            return Err(GatewayError::Engine {
                context: format!(
                    "{} HAProxy in {}",
                    if mode == "reload" {
                        "reloading"
                    } else {
                        "starting"
                    },
                    self.settings.container_name
                ),
                message: output.output.trim().to_string(),
            });
        }
        Ok(())
    }

    /// `haproxy -c` on `cfg` in a short-lived container from the same image on the same
    /// network, for when there is no running container of the right shape to check it in.
    async fn check_in_new_container(&self, cfg: &str) -> Result<(), GatewayError> {
        ensure_network(
            &self.docker,
            &self.settings.network,
            self.settings.network_driver,
        )
        .await?;
        ensure_image(&self.docker, &self.settings.image.0).await?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "{}-check-{}-{nanos}",
            self.settings.container_name,
            std::process::id()
        );
        create_gateway_container(
            &self.docker,
            &GatewayContainer {
                name: &name,
                image: &self.settings.image.0,
                command: &["haproxy", "-c", "-f", TCP_PENDING_CONFIG_PATH],
                ports: &[],
                role: "check",
                fingerprint: None,
                stop_signal: None,
                network: &self.settings.network,
            },
            "a container to check the configuration:",
        )
        .await?;
        let result = self.run_check(&name, cfg).await;
        remove_container(&self.docker, &name).await?;
        result
    }

    async fn run_check(&self, name: &str, cfg: &str) -> Result<(), GatewayError> {
        upload_file(&self.docker, name, TCP_PENDING_CONFIG_PATH, cfg.as_bytes()).await?;
        self.docker
            .start_container(name, None::<StartContainerOptions>)
            .await
            .map_err(engine(format!("starting {name}")))?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let exit_code = loop {
            let inspected = self
                .docker
                .inspect_container(name, None::<InspectContainerOptions>)
                .await
                .map_err(engine(format!("inspecting {name}")))?;
            let state = inspected.state.unwrap_or_default();
            if state.running != Some(true) {
                break state.exit_code.unwrap_or(-1);
            }
            if tokio::time::Instant::now() > deadline {
                return Err(GatewayError::Engine {
                    context: format!("checking the configuration in {name}"),
                    message: "haproxy -c did not finish within 30 s".into(),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        if exit_code == 0 {
            return Ok(());
        }
        let mut logs = self.docker.logs(
            name,
            Some(LogsOptions {
                stdout: true,
                stderr: true,
                tail: "all".into(),
                ..Default::default()
            }),
        );
        let mut message = String::new();
        while let Some(chunk) = logs.next().await {
            let chunk = chunk.map_err(engine(format!("reading the logs of {name}")))?;
            message.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
        }
        Err(GatewayError::Rejected {
            message: message.trim().to_string(),
        })
    }

    async fn create_container(
        &self,
        fingerprint: &str,
        ports: &[u16],
        cfg: &str,
    ) -> Result<(), GatewayError> {
        let name = &self.settings.container_name;
        let published: Vec<(u16, Option<PublishedPort>)> = ports
            .iter()
            .map(|&port| {
                let at = PublishedPort {
                    host_ip: self.settings.host_ip.clone(),
                    port,
                };
                (port, Some(at))
            })
            .collect();
        create_gateway_container(
            &self.docker,
            &GatewayContainer {
                name,
                image: &self.settings.image.0,
                command: &["haproxy", "-W", "-db", "-f", TCP_CONFIG_PATH],
                ports: &published,
                role: "tcp-container",
                fingerprint: Some(fingerprint),
                // HAProxy's graceful stop: workers finish their connections.
                stop_signal: Some("SIGUSR1"),
                network: &self.settings.network,
            },
            "the TCP gateway container",
        )
        .await?;
        upload_file(&self.docker, name, TCP_CONFIG_PATH, cfg.as_bytes()).await?;
        self.docker
            .start_container(name, None::<StartContainerOptions>)
            .await
            .map_err(engine(format!(
                "starting the TCP gateway container {name} (is a listen port taken on the host?)"
            )))?;
        self.wait_for_worker("start").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::PublishedPort;

    #[test]
    fn beside_the_http_gateway_shares_its_network_and_address_and_avoids_its_ports() {
        let http = GatewaySettings {
            https: Some(PublishedPort {
                host_ip: Some("127.0.0.1".into()),
                port: 8443,
            }),
            ..GatewaySettings::default()
        };
        let tcp = TcpGatewaySettings::beside(&http, TcpGatewayImage::default());
        assert_eq!(tcp.container_name, "windflow-gateway-tcp");
        assert_eq!(tcp.network, "windflow-gateway");
        assert_eq!(tcp.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(tcp.reserved_ports, [80, 8443]);
        assert_eq!(
            tcp.fingerprint(&[7000, 8443]),
            "image=haproxy:2.6 network=windflow-gateway host_ip=127.0.0.1 ports=7000,8443"
        );
    }
}
