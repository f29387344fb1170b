//! `DockerDriver`: the `Driver` for a Docker Engine, through bollard. All Docker API access in
//! WindFlow goes through this module.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use bollard::Docker;
use bollard::errors::Error as BollardError;
use bollard::models::{
    ContainerCreateBody, DeviceMapping as DockerDeviceMapping,
    DeviceRequest as DockerDeviceRequest, EndpointIpamConfig, EndpointSettings, HealthConfig,
    HealthStatusEnum, HostConfig, HostConfigCgroupnsModeEnum, HostConfigLogConfig, Ipam,
    IpamConfig, Mount as DockerMount, MountBindOptions, MountBindOptionsPropagationEnum,
    MountTmpfsOptions, MountType, MountVolumeOptions, NetworkConnectRequest, NetworkCreateRequest,
    NetworkingConfig, PortBinding, ResourcesUlimits, RestartPolicy, RestartPolicyNameEnum,
    VolumeCreateRequest,
};
use bollard::query_parameters::{
    BuildImageOptions, CreateContainerOptions, CreateImageOptions, ListContainersOptions,
    ListNetworksOptions, ListVolumesOptions, LogsOptions, RemoveContainerOptions,
    RenameContainerOptions, RestartContainerOptions, StopContainerOptions,
    UploadToContainerOptions,
};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use windflow_domain::naming::*;
use windflow_domain::observed::{
    ContainerState, Health, Observed, ObservedContainer, ObservedResource,
};
use windflow_domain::plan::definition_hash;
use windflow_domain::spec::{ContainerSpec, FileSource};
use windflow_domain::{Build, Mount, MountKind, Network, StackSpec, Volume};

mod task;

use crate::build_context::build_context_tar;
use crate::credentials::registry_credentials;
use crate::driver::*;
use crate::inventory::{
    ContainerStats, ContainerSummary, ImageSummary, Inventory, NetworkSummary, PortMapping,
    StatsCounters, VolumeSummary,
};
use crate::task::{ExecSpec, TaskFile, TaskIo, TaskOutput, TaskSpec};

/// Talks to one Docker Engine.
#[derive(Clone)]
pub struct DockerDriver {
    docker: Docker,
    endpoint: String,
}

impl DockerDriver {
    /// The local image's id and when it was last refreshed (the later of its creation and
    /// its last tagging, in unix seconds), or `None` when it is not here.
    async fn local_image(&self, image: &str) -> DriverResult<Option<(String, u64)>> {
        let unix = |date: Option<&String>| {
            date.and_then(|d| {
                time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).ok()
            })
            .map_or(0, |t| u64::try_from(t.unix_timestamp()).unwrap_or(0))
        };
        match self.docker.inspect_image(image).await {
            Ok(i) => {
                let created = unix(i.created.as_ref());
                let tagged = unix(i.metadata.as_ref().and_then(|m| m.last_tag_time.as_ref()));
                Ok(i.id.map(|id| (id, created.max(tagged))))
            }
            Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(e) => Err(self.err(format!("image {image}"), e)),
        }
    }

    /// Fails with a clear message when the engine's API is older than `version`: an older
    /// engine drops fields it does not know, which would deploy something else than asked.
    async fn require_api(&self, version: &str, what: &str) -> Result<(), String> {
        let v = self
            .docker
            .version()
            .await
            .map_err(|e| format!("engine version: {e}"))?;
        let api = v.api_version.unwrap_or_default();
        let number = |v: &str| -> (u32, u32) {
            let (major, minor) = v.split_once('.').unwrap_or((v, "0"));
            (major.parse().unwrap_or(0), minor.parse().unwrap_or(0))
        };
        if number(&api) < number(version) {
            return Err(format!(
                "{what} needs Engine API {version} (Docker 26 or later); this engine speaks {api} and would ignore it"
            ));
        }
        Ok(())
    }

    /// Connects to `host` (`unix:///…`, `tcp://…`, `http://…`, `ssh://user@host[:port]`), or
    /// to `DOCKER_HOST` or the local socket when `None`, with default TLS/SSH settings
    /// (`~/.ssh` keys, ssh-agent, `~/.ssh/known_hosts`). Connecting is lazy: the first call
    /// reports an unreachable engine.
    pub fn connect(host: Option<&str>) -> DriverResult<Self> {
        Self::connect_with(&crate::connect::ConnectOptions::host(host))
    }

    /// Connects with explicit [`ConnectOptions`](crate::connect::ConnectOptions): TLS
    /// material for `tcp://`, identities and host-key policy for `ssh://`.
    pub fn connect_with(options: &crate::connect::ConnectOptions) -> DriverResult<Self> {
        let (docker, endpoint) = options.docker().map_err(|e| DriverError::Unreachable {
            endpoint: options.endpoint(),
            message: e.to_string(),
        })?;
        Ok(Self { docker, endpoint })
    }

    /// What the running containers reserve: each one's memory reservation, else its limit.
    async fn reserved_memory(&self) -> DriverResult<u64> {
        let running = self
            .docker
            .list_containers(None::<ListContainersOptions>)
            .await
            .map_err(|e| self.err("listing containers", e))?;
        let reserved = futures::stream::iter(running.into_iter().filter_map(|c| c.id))
            .map(|id| async move {
                let inspected = self
                    .docker
                    .inspect_container(
                        &id,
                        None::<bollard::query_parameters::InspectContainerOptions>,
                    )
                    .await
                    .ok()?;
                let host = inspected.host_config?;
                let bytes = host
                    .memory_reservation
                    .filter(|b| *b > 0)
                    .or(host.memory.filter(|b| *b > 0))?;
                Some(bytes as u64)
            })
            .buffer_unordered(8)
            .filter_map(|b| async move { b })
            .fold(0u64, |sum, b| async move { sum.saturating_add(b) })
            .await;
        Ok(reserved)
    }

    /// The underlying client, for tests and tools that need the raw Engine API.
    pub fn client(&self) -> &Docker {
        &self.docker
    }

    pub(crate) fn err(&self, context: impl Into<String>, e: BollardError) -> DriverError {
        let context = context.into();
        match e {
            BollardError::DockerResponseServerError {
                status_code: 404,
                message,
            } => DriverError::NotFound {
                resource: format!("{context} ({message})"),
            },
            BollardError::DockerResponseServerError {
                status_code: 409,
                message,
            } => DriverError::Conflict {
                resource: context,
                message,
            },
            BollardError::DockerResponseServerError { message, .. } => {
                DriverError::Engine { context, message }
            }
            BollardError::HyperResponseError { .. }
            | BollardError::HyperLegacyError { .. }
            | BollardError::IOError { .. }
            | BollardError::SocketNotFoundError(_)
            | BollardError::RequestTimeoutError => DriverError::Unreachable {
                endpoint: self.endpoint.clone(),
                message: root_cause(&e),
            },
            other => DriverError::Engine {
                context,
                message: other.to_string(),
            },
        }
    }
}

fn project_filter(project: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([(
        "label".to_string(),
        vec![format!("{LABEL_PROJECT}={project}")],
    )])
}

fn resource(labels: Option<&HashMap<String, String>>, name: String) -> ObservedResource {
    ObservedResource {
        name,
        project: labels.and_then(|l| l.get(LABEL_PROJECT).cloned()),
        definition_hash: labels.and_then(|l| l.get(LABEL_DEFINITION_HASH).cloned()),
    }
}

#[async_trait]
impl Driver for DockerDriver {
    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    async fn info(&self) -> DriverResult<EngineInfo> {
        let v = self
            .docker
            .version()
            .await
            .map_err(|e| self.err("engine version", e))?;
        let system = self
            .docker
            .info()
            .await
            .map_err(|e| self.err("engine info", e))?;
        let reserved_memory_bytes = self.reserved_memory().await?;
        // The data root is on this machine only when the engine is reached through a local
        // socket; a remote engine's disk is not visible from here.
        let free_disk_bytes = match (
            &system.docker_root_dir,
            self.endpoint.starts_with("unix://"),
        ) {
            (Some(root), true) => free_disk(root),
            _ => None,
        };
        let swarm_role = system.swarm.as_ref().and_then(|swarm| {
            let active = matches!(
                swarm.local_node_state,
                Some(bollard::models::LocalNodeState::ACTIVE)
            );
            active.then(|| {
                if swarm.control_available == Some(true) {
                    "manager".to_string()
                } else {
                    "worker".to_string()
                }
            })
        });
        Ok(EngineInfo {
            engine_id: system.id.clone().filter(|id| !id.is_empty()),
            version: v.version.unwrap_or_default(),
            api_version: v.api_version.unwrap_or_default(),
            os: v.os.unwrap_or_default(),
            arch: v.arch.unwrap_or_default(),
            hostname: system.name.unwrap_or_default(),
            cpus: system.ncpu.unwrap_or_default().max(0) as u64,
            memory_bytes: system.mem_total.unwrap_or_default().max(0) as u64,
            reserved_memory_bytes,
            free_disk_bytes,
            containers_running: system.containers_running.unwrap_or_default().max(0) as u64,
            swarm_role,
        })
    }

    async fn observe(&self, project: &str, stack: Option<&StackSpec>) -> DriverResult<Observed> {
        let containers = self.docker.list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(project_filter(project)),
            ..Default::default()
        }));
        let networks = self.docker.list_networks(None::<ListNetworksOptions>);
        let volumes = self.docker.list_volumes(None::<ListVolumesOptions>);
        let images: Vec<String> = stack
            .map(|s| {
                let mut refs: Vec<String> = s.services.values().map(|s| s.image.clone()).collect();
                refs.sort();
                refs.dedup();
                refs
            })
            .unwrap_or_default();
        let image_ids = futures::future::join_all(images.iter().map(|i| self.local_image(i)));
        let (containers, networks, volumes, image_ids) =
            tokio::join!(containers, networks, volumes, image_ids);

        let mut observed = Observed::default();
        for c in containers.map_err(|e| self.err("listing containers", e))? {
            let labels = c.labels.unwrap_or_default();
            let Some(service) = labels.get(LABEL_SERVICE).cloned() else {
                continue;
            };
            if labels
                .get(LABEL_ONEOFF)
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            {
                continue;
            }
            let status = c.status.unwrap_or_default();
            let ports = c
                .ports
                .unwrap_or_default()
                .into_iter()
                .map(|p| {
                    let proto = p.typ.map(|t| t.to_string()).unwrap_or_else(|| "tcp".into());
                    match p.public_port {
                        Some(public) => {
                            format!(
                                "{}:{}->{}/{}",
                                p.ip.unwrap_or_default(),
                                public,
                                p.private_port,
                                proto
                            )
                        }
                        None => format!("{}/{}", p.private_port, proto),
                    }
                })
                .collect();
            observed.containers.push(ObservedContainer {
                id: c.id.unwrap_or_default(),
                name: c
                    .names
                    .unwrap_or_default()
                    .first()
                    .map(|n| n.trim_start_matches('/').to_string())
                    .unwrap_or_default(),
                number: labels
                    .get(LABEL_CONTAINER_NUMBER)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0),
                config_hash: labels.get(LABEL_CONFIG_HASH).cloned(),
                image_id: c.image_id.unwrap_or_default(),
                state: ContainerState::parse(&c.state.map(|s| s.to_string()).unwrap_or_default()),
                health: Health::from_status(&status),
                stack_version: labels.get(LABEL_STACK_VERSION).and_then(|v| v.parse().ok()),
                ports,
                status,
                image: c.image.unwrap_or_default(),
                service,
            });
        }
        observed
            .containers
            .sort_by(|a, b| (&a.service, a.number, &a.name).cmp(&(&b.service, b.number, &b.name)));
        let wanted_networks: Vec<&str> = stack
            .map(|s| s.networks.values().map(|n| n.name.as_str()).collect())
            .unwrap_or_default();
        for n in networks.map_err(|e| self.err("listing networks", e))? {
            let name = n.name.clone().unwrap_or_default();
            let ours = n
                .labels
                .as_ref()
                .and_then(|l| l.get(LABEL_PROJECT))
                .is_some_and(|p| p == project);
            if ours || wanted_networks.contains(&name.as_str()) {
                observed
                    .networks
                    .insert(name.clone(), resource(n.labels.as_ref(), name));
            }
        }
        let wanted_volumes: Vec<&str> = stack
            .map(|s| s.volumes.values().map(|v| v.name.as_str()).collect())
            .unwrap_or_default();
        for v in volumes
            .map_err(|e| self.err("listing volumes", e))?
            .volumes
            .unwrap_or_default()
        {
            let ours = v.labels.get(LABEL_PROJECT).is_some_and(|p| p == project);
            if ours || wanted_volumes.contains(&v.name.as_str()) {
                observed
                    .volumes
                    .insert(v.name.clone(), resource(Some(&v.labels), v.name.clone()));
            }
        }
        for (image, id) in images.into_iter().zip(image_ids) {
            if let Some((id, refreshed)) = id? {
                observed.image_refreshed.insert(image.clone(), refreshed);
                observed.images.insert(image, id);
            }
        }
        observed.observed_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Ok(observed)
    }

    async fn list_projects(&self) -> DriverResult<Vec<ProjectSummary>> {
        let containers = self
            .docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(HashMap::from([(
                    "label".to_string(),
                    vec![LABEL_PROJECT.to_string()],
                )])),
                ..Default::default()
            }))
            .await
            .map_err(|e| self.err("listing containers", e))?;
        let mut projects: BTreeMap<String, ProjectSummary> = BTreeMap::new();
        for c in containers {
            let labels = c.labels.unwrap_or_default();
            let Some(name) = labels.get(LABEL_PROJECT) else {
                continue;
            };
            let entry = projects
                .entry(name.clone())
                .or_insert_with(|| ProjectSummary {
                    name: name.clone(),
                    containers: 0,
                    running: 0,
                    working_dir: labels.get(LABEL_WORKING_DIR).cloned(),
                });
            entry.containers += 1;
            if c.state.map(|s| s.to_string()).as_deref() == Some("running") {
                entry.running += 1;
            }
        }
        Ok(projects.into_values().collect())
    }

    async fn image_id(&self, image: &str) -> DriverResult<Option<String>> {
        Ok(self.local_image(image).await?.map(|(id, _)| id))
    }

    async fn pull_image(
        &self,
        image: &str,
        platform: Option<&str>,
        progress: Progress<'_>,
    ) -> DriverResult<()> {
        let (repo, tag) = split_reference(image);
        let credentials = registry_credentials(image);
        let mut stream = self.docker.create_image(
            Some(CreateImageOptions {
                from_image: Some(repo),
                tag: Some(tag),
                platform: platform.unwrap_or_default().to_string(),
                ..Default::default()
            }),
            None,
            credentials,
        );
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| self.err(format!("pulling {image}"), e))?;
            if let Some(error) = info.error_detail.and_then(|d| d.message) {
                return Err(DriverError::Engine {
                    context: format!("pulling {image}"),
                    message: error,
                });
            }
            let detail = info.progress_detail.unwrap_or_default();
            progress(ProgressUpdate {
                id: info.id.unwrap_or_default(),
                message: info.status.unwrap_or_default(),
                current: detail.current.map(|c| c.max(0) as u64),
                total: detail.total.map(|t| t.max(0) as u64),
            });
        }
        Ok(())
    }

    async fn build_image(
        &self,
        image: &str,
        build: &Build,
        progress: Progress<'_>,
    ) -> DriverResult<()> {
        let context = build.context.clone();
        let dockerfile = build.dockerfile.clone();
        let tar = tokio::task::spawn_blocking(move || build_context_tar(&context, &dockerfile))
            .await
            .map_err(|e| DriverError::Engine {
                context: format!("building {image}"),
                message: e.to_string(),
            })?
            .map_err(|e| DriverError::Engine {
                context: format!("reading build context {}", build.context.display()),
                message: e.to_string(),
            })?;
        let mut labels: HashMap<String, String> = build.labels.clone().into_iter().collect();
        labels.insert(LABEL_MANAGED_BY.into(), "windflow".into());
        let options = BuildImageOptions {
            dockerfile: build.dockerfile.clone(),
            t: Some(image.to_string()),
            buildargs: Some(build.args.clone().into_iter().collect()),
            target: build.target.clone().unwrap_or_default(),
            nocache: build.no_cache,
            cachefrom: (!build.cache_from.is_empty()).then(|| build.cache_from.clone()),
            pull: build.pull.then(|| "1".to_string()),
            shmsize: build.shm_size.map(|b| i32::try_from(b).unwrap_or(i32::MAX)),
            rm: true,
            forcerm: true,
            labels: Some(labels),
            networkmode: build.network.clone(),
            extrahosts: (!build.extra_hosts.is_empty()).then(|| {
                build
                    .extra_hosts
                    .iter()
                    .map(|(h, ip)| format!("{h}:{ip}"))
                    .collect::<Vec<_>>()
                    .join(",")
            }),
            ..Default::default()
        };
        let mut stream =
            self.docker
                .build_image(options, None, Some(bollard::body_full(tar.into())));
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| self.err(format!("building {image}"), e))?;
            if let Some(error) = info.error_detail.and_then(|d| d.message) {
                return Err(DriverError::Engine {
                    context: format!("building {image}"),
                    message: error,
                });
            }
            if let Some(line) = info
                .stream
                .map(|s| s.trim_end().to_string())
                .filter(|s| !s.is_empty())
            {
                progress(ProgressUpdate {
                    id: String::new(),
                    message: line,
                    current: None,
                    total: None,
                });
            }
        }
        Ok(())
    }

    async fn create_network(
        &self,
        project: &str,
        key: &str,
        network: &Network,
    ) -> DriverResult<()> {
        let mut labels: HashMap<String, String> = network.labels.clone().into_iter().collect();
        labels.insert(LABEL_PROJECT.into(), project.into());
        labels.insert(LABEL_NETWORK.into(), key.into());
        labels.insert(LABEL_COMPOSE_VERSION.into(), COMPOSE_VERSION.into());
        labels.insert(LABEL_DEFINITION_HASH.into(), definition_hash(network));
        let ipam = network.ipam.as_ref().map(|i| Ipam {
            driver: i.driver.clone(),
            config: Some(
                i.config
                    .iter()
                    .map(|c| IpamConfig {
                        subnet: c.subnet.clone(),
                        ip_range: c.ip_range.clone(),
                        gateway: c.gateway.clone(),
                        ..Default::default()
                    })
                    .collect(),
            ),
            options: Some(i.options.clone().into_iter().collect()),
        });
        let request = NetworkCreateRequest {
            name: network.name.clone(),
            driver: network.driver.clone(),
            internal: Some(network.internal),
            attachable: Some(network.attachable),
            enable_ipv6: network.enable_ipv6.then_some(true),
            ipam,
            options: Some(network.driver_opts.clone().into_iter().collect()),
            labels: Some(labels),
            ..Default::default()
        };
        match self.docker.create_network(request).await {
            Ok(_) => Ok(()),
            // Created concurrently by someone else: fine, the plan re-checks next time.
            Err(BollardError::DockerResponseServerError {
                status_code: 409, ..
            }) => Ok(()),
            Err(e) => Err(self.err(format!("creating network {}", network.name), e)),
        }
    }

    async fn remove_network(&self, name: &str) -> DriverResult<()> {
        match self.docker.remove_network(name).await {
            Ok(())
            | Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(e) => Err(self.err(format!("removing network {name}"), e)),
        }
    }

    async fn create_volume(&self, project: &str, key: &str, volume: &Volume) -> DriverResult<()> {
        let mut labels: HashMap<String, String> = volume.labels.clone().into_iter().collect();
        labels.insert(LABEL_PROJECT.into(), project.into());
        labels.insert(LABEL_VOLUME.into(), key.into());
        labels.insert(LABEL_COMPOSE_VERSION.into(), COMPOSE_VERSION.into());
        labels.insert(LABEL_DEFINITION_HASH.into(), definition_hash(volume));
        let request = VolumeCreateRequest {
            name: Some(volume.name.clone()),
            driver: volume.driver.clone(),
            driver_opts: Some(volume.driver_opts.clone().into_iter().collect()),
            labels: Some(labels),
            ..Default::default()
        };
        self.docker
            .create_volume(request)
            .await
            .map(|_| ())
            .map_err(|e| self.err(format!("creating volume {}", volume.name), e))
    }

    async fn remove_volume(&self, name: &str) -> DriverResult<()> {
        match self
            .docker
            .remove_volume(name, None::<bollard::query_parameters::RemoveVolumeOptions>)
            .await
        {
            Ok(())
            | Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(e) => Err(self.err(format!("removing volume {name}"), e)),
        }
    }

    async fn create_container(&self, spec: &ContainerSpec) -> DriverResult<String> {
        let mut body = container_body(spec);
        // The engine refuses to write into a read-only root filesystem, so for such a
        // container the injected files become read-only binds of files kept in WindFlow's
        // state directory, which only a local engine can see.
        let bind_files = spec.service.read_only && !spec.files.is_empty();
        if bind_files {
            if !self.endpoint.starts_with("unix://") {
                return Err(DriverError::Engine {
                    context: format!("creating container {}", spec.name),
                    message: "configs with inline content and secrets from the environment cannot be \
                              written into a read_only container on a remote engine; use a file source"
                        .into(),
                });
            }
            let binds = materialize_files(spec).map_err(|e| DriverError::Engine {
                context: format!("writing the files of {}", spec.name),
                message: e.to_string(),
            })?;
            let host = body.host_config.get_or_insert_with(Default::default);
            host.binds.get_or_insert_with(Vec::new).extend(binds);
        }
        if let Some(mount) = spec.mounts.iter().find(|m| m.subpath.is_some()) {
            self.require_api("1.45", &format!("the volume subpath of {}", mount.target))
                .await
                .map_err(|message| DriverError::Engine {
                    context: format!("creating container {}", spec.name),
                    message,
                })?;
        }
        let created = self
            .docker
            .create_container(
                Some(CreateContainerOptions {
                    name: Some(spec.name.clone()),
                    platform: spec.service.platform.clone().unwrap_or_default(),
                }),
                body,
            )
            .await
            .map_err(|e| match (&e, spec.service.platform.as_deref()) {
                // The engine answers "No such image" when the image is here for another
                // platform only.
                (
                    BollardError::DockerResponseServerError {
                        status_code: 404,
                        message,
                    },
                    Some(platform),
                ) => DriverError::Engine {
                    context: format!("creating container {}", spec.name),
                    message: format!(
                        "{message}: no {platform} variant of {} is on this engine; pull it for that platform (pull_policy: always) or remove platform:",
                        spec.image
                    ),
                },
                _ => self.err(format!("creating container {}", spec.name), e),
            })?;
        let id = created.id;
        // API 1.41 attaches one network at creation; the rest are connected before start.
        for attachment in spec.networks.iter().skip(1) {
            let request = NetworkConnectRequest {
                container: id.clone(),
                endpoint_config: Some(endpoint(attachment, &spec.links)),
            };
            if let Err(e) = self
                .docker
                .connect_network(&attachment.network, request)
                .await
            {
                let _ = self.remove_container(&id, true).await;
                return Err(self.err(
                    format!("connecting {} to network {}", spec.name, attachment.network),
                    e,
                ));
            }
        }
        for file in spec.files.iter().filter(|_| !bind_files) {
            let content = file_content(&file.source);
            let archive = single_file_tar(
                &file.target,
                &content,
                file.mode,
                file.uid.as_deref(),
                file.gid.as_deref(),
            )
            .map_err(|e| DriverError::Engine {
                context: format!("packing {}", file.target),
                message: e.to_string(),
            })?;
            let options = UploadToContainerOptions {
                path: "/".into(),
                ..Default::default()
            };
            if let Err(e) = self
                .docker
                .upload_to_container(&id, Some(options), bollard::body_full(archive.into()))
                .await
            {
                let _ = self.remove_container(&id, true).await;
                return Err(self.err(format!("writing {} into {}", file.target, spec.name), e));
            }
        }
        Ok(id)
    }

    async fn start_container(&self, id: &str) -> DriverResult<()> {
        match self
            .docker
            .start_container(id, None::<bollard::query_parameters::StartContainerOptions>)
            .await
        {
            Ok(())
            | Err(BollardError::DockerResponseServerError {
                status_code: 304, ..
            }) => Ok(()),
            Err(e) => Err(self.err(format!("starting container {}", short(id)), e)),
        }
    }

    async fn stop_container(&self, id: &str, timeout: Option<Duration>) -> DriverResult<()> {
        let options = StopContainerOptions {
            t: timeout.map(|t| t.as_secs() as i32),
            ..Default::default()
        };
        match self.docker.stop_container(id, Some(options)).await {
            Ok(())
            | Err(BollardError::DockerResponseServerError {
                status_code: 304 | 404,
                ..
            }) => Ok(()),
            Err(e) => Err(self.err(format!("stopping container {}", short(id)), e)),
        }
    }

    async fn restart_container(&self, id: &str, timeout: Option<Duration>) -> DriverResult<()> {
        let options = RestartContainerOptions {
            t: timeout.map(|t| t.as_secs() as i32),
            ..Default::default()
        };
        self.docker
            .restart_container(id, Some(options))
            .await
            .map_err(|e| self.err(format!("restarting container {}", short(id)), e))
    }

    async fn rename_container(&self, id: &str, name: &str) -> DriverResult<()> {
        self.docker
            .rename_container(
                id,
                RenameContainerOptions {
                    name: name.to_string(),
                },
            )
            .await
            .map_err(|e| self.err(format!("renaming container {} to {name}", short(id)), e))
    }

    async fn remove_container(&self, id: &str, volumes: bool) -> DriverResult<()> {
        let options = RemoveContainerOptions {
            force: true,
            v: volumes,
            ..Default::default()
        };
        match self.docker.remove_container(id, Some(options)).await {
            Ok(())
            | Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            // Already being removed.
            Err(BollardError::DockerResponseServerError {
                status_code: 409,
                message,
            }) if message.contains("already in progress") => Ok(()),
            Err(e) => Err(self.err(format!("removing container {}", short(id)), e)),
        }
    }

    async fn container_status(&self, id: &str) -> DriverResult<ContainerStatus> {
        let c = self
            .docker
            .inspect_container(
                id,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
            .map_err(|e| self.err(format!("container {}", short(id)), e))?;
        let state = c.state.unwrap_or_default();
        let health = state.health.as_ref();
        let health_status = health.and_then(|h| h.status).and_then(|s| match s {
            HealthStatusEnum::STARTING => Some(Health::Starting),
            HealthStatusEnum::HEALTHY => Some(Health::Healthy),
            HealthStatusEnum::UNHEALTHY => Some(Health::Unhealthy),
            _ => None,
        });
        let health_output = health
            .and_then(|h| h.log.as_ref())
            .and_then(|log| log.last())
            .and_then(|entry| entry.output.clone())
            .map(|o| o.trim().to_string());
        Ok(ContainerStatus {
            id: c.id.unwrap_or_default(),
            name: c
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            state: ContainerState::parse(&state.status.map(|s| s.to_string()).unwrap_or_default()),
            exit_code: state.exit_code,
            health: health_status,
            health_output,
            restart_count: c.restart_count.unwrap_or(0),
        })
    }

    async fn logs(
        &self,
        id: &str,
        options: LogOptions,
    ) -> DriverResult<BoxStream<'static, DriverResult<LogLine>>> {
        let query = LogsOptions {
            follow: options.follow,
            stdout: true,
            stderr: true,
            since: options.since.unwrap_or(0) as i32,
            timestamps: options.timestamps,
            tail: options
                .tail
                .map_or_else(|| "all".to_string(), |t| t.to_string()),
            ..Default::default()
        };
        let endpoint = self.endpoint.clone();
        let id_owned = id.to_string();
        let stream = self
            .docker
            .logs(id, Some(query))
            .map_err(move |e| DriverError::Engine {
                context: format!("logs of {} on {endpoint}", short(&id_owned)),
                message: e.to_string(),
            });
        // The engine splits frames at its own buffer boundaries; rebuild whole lines.
        let lines = stream
            .scan(
                (String::new(), String::new()),
                |(out_buf, err_buf), item| {
                    let lines: Vec<DriverResult<LogLine>> = match item {
                        Err(e) => vec![Err(e)],
                        Ok(output) => {
                            let (stream, buf, bytes) = match output {
                                bollard::container::LogOutput::StdErr { message } => {
                                    (LogStream::Stderr, err_buf, message)
                                }
                                bollard::container::LogOutput::StdOut { message }
                                | bollard::container::LogOutput::Console { message }
                                | bollard::container::LogOutput::StdIn { message } => {
                                    (LogStream::Stdout, out_buf, message)
                                }
                            };
                            buf.push_str(&String::from_utf8_lossy(&bytes));
                            let mut lines = Vec::new();
                            while let Some(pos) = buf.find('\n') {
                                let line: String = buf.drain(..=pos).collect();
                                lines.push(Ok(LogLine {
                                    stream: stream.clone(),
                                    text: line.trim_end_matches(['\n', '\r']).to_string(),
                                }));
                            }
                            lines
                        }
                    };
                    futures::future::ready(Some(futures::stream::iter(lines)))
                },
            )
            .flatten();
        Ok(lines.boxed())
    }

    async fn inventory(&self) -> DriverResult<Inventory> {
        let containers = self.docker.list_containers(Some(ListContainersOptions {
            all: true,
            ..Default::default()
        }));
        let images = self
            .docker
            .list_images(None::<bollard::query_parameters::ListImagesOptions>);
        let networks = self.docker.list_networks(None::<ListNetworksOptions>);
        let volumes = self.docker.list_volumes(None::<ListVolumesOptions>);
        let (containers, images, networks, volumes) =
            tokio::join!(containers, images, networks, volumes);
        let mut inventory = Inventory::default();
        for c in containers.map_err(|e| self.err("listing containers", e))? {
            let labels = c.labels.unwrap_or_default();
            let mut ports: Vec<PortMapping> = c
                .ports
                .unwrap_or_default()
                .into_iter()
                .map(|p| PortMapping {
                    host_ip: p.ip.filter(|ip| !ip.is_empty()),
                    host_port: p.public_port,
                    container_port: p.private_port,
                    protocol: p.typ.map(|t| t.to_string()).unwrap_or_else(|| "tcp".into()),
                })
                .collect();
            ports.sort_by(|a, b| {
                (a.container_port, &a.protocol, &a.host_ip).cmp(&(
                    b.container_port,
                    &b.protocol,
                    &b.host_ip,
                ))
            });
            ports.dedup();
            inventory.containers.push(ContainerSummary {
                id: c.id.unwrap_or_default(),
                name: c
                    .names
                    .unwrap_or_default()
                    .first()
                    .map(|n| n.trim_start_matches('/').to_string())
                    .unwrap_or_default(),
                image: c.image.unwrap_or_default(),
                state: ContainerState::parse(&c.state.map(|s| s.to_string()).unwrap_or_default()),
                status: c.status.unwrap_or_default(),
                // A Swarm task's container carries its stack as the stack namespace.
                project: labels
                    .get(LABEL_PROJECT)
                    .or_else(|| labels.get(windflow_domain::naming::LABEL_STACK_NAMESPACE))
                    .cloned(),
                service: labels.get(LABEL_SERVICE).cloned(),
                ports,
                created: c.created.unwrap_or(0),
            });
        }
        inventory.containers.sort_by(|a, b| a.name.cmp(&b.name));
        for i in images.map_err(|e| self.err("listing images", e))? {
            let mut tags: Vec<String> = i
                .repo_tags
                .into_iter()
                .filter(|t| t != "<none>:<none>")
                .collect();
            tags.sort();
            inventory.images.push(ImageSummary {
                id: i.id,
                tags,
                size_bytes: i.size,
                created: i.created,
                containers: i.containers,
            });
        }
        inventory
            .images
            .sort_by(|a, b| (a.tags.first(), &a.id).cmp(&(b.tags.first(), &b.id)));
        for n in networks.map_err(|e| self.err("listing networks", e))? {
            inventory.networks.push(NetworkSummary {
                id: n.id.unwrap_or_default(),
                name: n.name.unwrap_or_default(),
                driver: n.driver.unwrap_or_default(),
                scope: n.scope.unwrap_or_default(),
                internal: n.internal.unwrap_or(false),
                project: n.labels.and_then(|l| {
                    l.get(LABEL_PROJECT)
                        .or_else(|| l.get(windflow_domain::naming::LABEL_STACK_NAMESPACE))
                        .cloned()
                }),
            });
        }
        inventory.networks.sort_by(|a, b| a.name.cmp(&b.name));
        for v in volumes
            .map_err(|e| self.err("listing volumes", e))?
            .volumes
            .unwrap_or_default()
        {
            inventory.volumes.push(VolumeSummary {
                project: v
                    .labels
                    .get(LABEL_PROJECT)
                    .or_else(|| v.labels.get(windflow_domain::naming::LABEL_STACK_NAMESPACE))
                    .cloned(),
                name: v.name,
                driver: v.driver,
                mountpoint: v.mountpoint,
            });
        }
        inventory.volumes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(inventory)
    }

    async fn container_stats(&self, id: &str) -> DriverResult<ContainerStats> {
        // Not one-shot: the engine then waits for a second sample, so `precpu_stats` holds the
        // previous one and CPU use can be computed from the difference.
        let mut stream = self.docker.stats(
            id,
            Some(bollard::query_parameters::StatsOptions {
                stream: false,
                one_shot: false,
            }),
        );
        let sample = stream
            .next()
            .await
            .ok_or_else(|| DriverError::Engine {
                context: format!("stats of container {}", short(id)),
                message: "the engine answered no sample".into(),
            })?
            .map_err(|e| self.err(format!("stats of container {}", short(id)), e))?;
        let cpu = sample.cpu_stats.unwrap_or_default();
        let precpu = sample.precpu_stats.unwrap_or_default();
        let memory = sample.memory_stats.unwrap_or_default();
        let memory_stats = memory.stats.unwrap_or_default();
        let memory_cache = memory_stats
            .get("total_inactive_file")
            .or_else(|| memory_stats.get("inactive_file"))
            .copied()
            .unwrap_or(0);
        let counters = StatsCounters {
            cpu_total: cpu
                .cpu_usage
                .as_ref()
                .and_then(|u| u.total_usage)
                .unwrap_or(0),
            precpu_total: precpu
                .cpu_usage
                .as_ref()
                .and_then(|u| u.total_usage)
                .unwrap_or(0),
            system_total: cpu.system_cpu_usage.unwrap_or(0),
            presystem_total: precpu.system_cpu_usage.unwrap_or(0),
            online_cpus: cpu.online_cpus.unwrap_or_else(|| {
                cpu.cpu_usage
                    .as_ref()
                    .and_then(|u| u.percpu_usage.as_ref())
                    .map_or(1, |p| p.len() as u32)
            }),
            memory_usage: memory.usage.unwrap_or(0),
            memory_cache,
            memory_limit: memory.limit.unwrap_or(0),
        };
        let id = sample.id.unwrap_or_else(|| id.to_string());
        Ok(ContainerStats::from_counters(id, counters))
    }

    async fn run_task(&self, spec: &TaskSpec, io: TaskIo) -> DriverResult<TaskOutput> {
        self.task_run(spec, io).await
    }

    async fn start_task(&self, spec: &TaskSpec) -> DriverResult<String> {
        self.task_start(spec).await
    }

    async fn exec(&self, container: &str, spec: &ExecSpec, io: TaskIo) -> DriverResult<TaskOutput> {
        self.task_exec(container, spec, io).await
    }

    async fn put_files(&self, container: &str, files: &[TaskFile]) -> DriverResult<()> {
        self.task_put_files(container, files).await
    }

    async fn remove_labelled(&self, key: &str, value: &str) -> DriverResult<usize> {
        self.task_remove_labelled(key, value).await
    }

    async fn inspect_container(&self, id: &str) -> DriverResult<serde_json::Value> {
        let c = self
            .docker
            .inspect_container(
                id,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
            .map_err(|e| self.err(format!("container {}", short(id)), e))?;
        serde_json::to_value(c).map_err(|e| DriverError::Engine {
            context: format!("container {}", short(id)),
            message: e.to_string(),
        })
    }
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// `repo[:tag]` or `repo@digest` → (repo, tag-or-digest). A port in the registry host is not a
/// tag: the tag is after the last `/`.
pub fn split_reference(image: &str) -> (String, String) {
    if let Some((repo, digest)) = image.split_once('@') {
        return (repo.to_string(), digest.to_string());
    }
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[last_slash..].rfind(':') {
        Some(i) => (
            image[..last_slash + i].to_string(),
            image[last_slash + i + 1..].to_string(),
        ),
        None => (image.to_string(), "latest".to_string()),
    }
}

fn endpoint(
    attachment: &windflow_domain::spec::NetworkAttachment,
    links: &[String],
) -> EndpointSettings {
    let ipam =
        (attachment.ipv4_address.is_some() || attachment.ipv6_address.is_some()).then(|| {
            EndpointIpamConfig {
                ipv4_address: attachment.ipv4_address.clone(),
                ipv6_address: attachment.ipv6_address.clone(),
                ..Default::default()
            }
        });
    EndpointSettings {
        aliases: Some(attachment.aliases.clone()),
        ipam_config: ipam,
        links: (!links.is_empty()).then(|| links.to_vec()),
        ..Default::default()
    }
}

/// `source:target:ro|rw[,z][,propagation]`, the Binds form.
fn bind_string(m: &Mount) -> String {
    let mut opts = vec![if m.read_only { "ro" } else { "rw" }.to_string()];
    opts.extend(m.selinux.clone());
    opts.extend(m.propagation.clone());
    format!(
        "{}:{}:{}",
        m.source.clone().unwrap_or_default(),
        m.target,
        opts.join(",")
    )
}

/// The Engine API's `Mount` for a compose volume, bind or tmpfs mount — the one translation
/// both the container path (`HostConfig.Mounts`) and Swarm (`ContainerSpec.Mounts`) use.
/// `source` is the engine-side source (the resolved volume name, the host path, `None` for
/// tmpfs and anonymous volumes); `volume_labels` label a volume the mount creates.
///
/// compose's `volume.nocopy` (or `:nocopy`) is `VolumeOptions.NoCopy`; `VolumeOptions` goes
/// with every volume mount and only with those (the engine refuses it on other types),
/// `BindOptions` only with a bind mount that sets a propagation, `TmpfsOptions` only with a
/// tmpfs mount that sets a size or mode.
pub(crate) fn engine_mount(
    m: &Mount,
    source: Option<String>,
    volume_labels: Option<HashMap<String, String>>,
) -> DockerMount {
    DockerMount {
        target: Some(m.target.clone()),
        source,
        typ: Some(match m.kind {
            MountKind::Volume => MountType::VOLUME,
            MountKind::Bind => MountType::BIND,
            MountKind::Tmpfs => MountType::TMPFS,
        }),
        read_only: m.read_only.then_some(true),
        bind_options: (m.kind == MountKind::Bind && m.propagation.is_some()).then(|| {
            MountBindOptions {
                propagation: m.propagation.as_deref().and_then(|p| match p {
                    "private" => Some(MountBindOptionsPropagationEnum::PRIVATE),
                    "rprivate" => Some(MountBindOptionsPropagationEnum::RPRIVATE),
                    "shared" => Some(MountBindOptionsPropagationEnum::SHARED),
                    "rshared" => Some(MountBindOptionsPropagationEnum::RSHARED),
                    "slave" => Some(MountBindOptionsPropagationEnum::SLAVE),
                    "rslave" => Some(MountBindOptionsPropagationEnum::RSLAVE),
                    _ => None,
                }),
                ..Default::default()
            }
        }),
        volume_options: (m.kind == MountKind::Volume).then(|| MountVolumeOptions {
            no_copy: m.nocopy.then_some(true),
            labels: volume_labels,
            subpath: m.subpath.clone(),
            ..Default::default()
        }),
        tmpfs_options: (m.kind == MountKind::Tmpfs
            && (m.tmpfs_size.is_some() || m.tmpfs_mode.is_some()))
        .then(|| MountTmpfsOptions {
            size_bytes: m.tmpfs_size.map(|b| b as i64),
            mode: m.tmpfs_mode.map(i64::from),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Translates a spec into the Engine API's create body.
pub fn container_body(spec: &ContainerSpec) -> ContainerCreateBody {
    let s = &spec.service;
    let mut exposed: Vec<String> = s
        .expose
        .iter()
        .map(|e| {
            if e.contains('/') {
                e.clone()
            } else {
                format!("{e}/tcp")
            }
        })
        .collect();
    let mut port_bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for p in &s.ports {
        let key = format!("{}/{}", p.target, p.protocol);
        exposed.push(key.clone());
        port_bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: p.host_ip.clone(),
                host_port: p.published.clone(),
            });
    }
    exposed.sort();
    exposed.dedup();

    // The API's Mounts cannot create a missing bind source; Binds can (compose's short syntax
    // default), so those go through Binds and the rest through Mounts.
    let (binds, mounts): (Vec<&Mount>, Vec<&Mount>) = spec
        .mounts
        .iter()
        .partition(|m| m.kind == MountKind::Bind && m.create_host_path);
    let binds: Vec<String> = binds.into_iter().map(bind_string).collect();
    let mounts: Vec<DockerMount> = mounts
        .into_iter()
        .map(|m| engine_mount(m, m.source.clone(), None))
        .collect();

    let tmpfs: HashMap<String, String> = s
        .tmpfs
        .iter()
        .map(|t| match t.split_once(':') {
            Some((path, opts)) => (path.to_string(), opts.to_string()),
            None => (t.clone(), String::new()),
        })
        .collect();

    let restart_policy = s.restart.as_deref().map(|r| {
        let (name, count) = r
            .split_once(':')
            .map_or((r, None), |(n, c)| (n, c.parse().ok()));
        RestartPolicy {
            name: Some(match name {
                "always" => RestartPolicyNameEnum::ALWAYS,
                "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
                "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
                _ => RestartPolicyNameEnum::NO,
            }),
            maximum_retry_count: count,
        }
    });

    // A CDI name (`vendor.com/class=name`) is a device request to the CDI driver; a path is
    // mapped as is.
    let (cdi, paths): (Vec<_>, Vec<_>) = s.devices.iter().partition(|d| d.source.contains('='));
    let devices: Vec<DockerDeviceMapping> = paths
        .into_iter()
        .map(|d| DockerDeviceMapping {
            path_on_host: Some(d.source.clone()),
            path_in_container: Some(d.target.clone()),
            cgroup_permissions: Some(d.permissions.clone()),
        })
        .collect();
    // `gpus:` entries ask for the `gpu` capability unless they name others.
    let gpu = vec!["gpu".to_string()];
    let mut device_requests: Vec<DockerDeviceRequest> = s
        .gpus
        .iter()
        .map(|r| {
            (
                r,
                if r.capabilities.is_empty() {
                    &gpu
                } else {
                    &r.capabilities
                },
            )
        })
        .chain(
            s.deploy
                .reservations
                .devices
                .iter()
                .map(|r| (r, &r.capabilities)),
        )
        .map(|(r, capabilities)| DockerDeviceRequest {
            driver: r.driver.clone(),
            count: r.count.or_else(|| r.device_ids.is_empty().then_some(-1)),
            device_ids: (!r.device_ids.is_empty()).then(|| r.device_ids.clone()),
            capabilities: (!capabilities.is_empty()).then(|| vec![capabilities.clone()]),
            options: (!r.options.is_empty()).then(|| r.options.clone().into_iter().collect()),
        })
        .collect();
    if !cdi.is_empty() {
        device_requests.push(DockerDeviceRequest {
            driver: Some("cdi".into()),
            device_ids: Some(cdi.into_iter().map(|d| d.source.clone()).collect()),
            ..Default::default()
        });
    }
    let t = &s.tuning;
    let limits = &s.deploy.limits;
    let host_config = HostConfig {
        binds: (!binds.is_empty()).then_some(binds),
        mounts: (!mounts.is_empty()).then_some(mounts),
        port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
        restart_policy,
        network_mode: Some(match &s.network_mode {
            Some(mode) => mode.clone(),
            None => spec
                .networks
                .first()
                .map_or_else(|| "default".to_string(), |n| n.network.clone()),
        }),
        cap_add: (!s.cap_add.is_empty()).then(|| s.cap_add.clone()),
        cap_drop: (!s.cap_drop.is_empty()).then(|| s.cap_drop.clone()),
        privileged: s.privileged.then_some(true),
        readonly_rootfs: s.read_only.then_some(true),
        init: s.init,
        ulimits: (!s.ulimits.is_empty()).then(|| {
            s.ulimits
                .iter()
                .map(|(name, u)| ResourcesUlimits {
                    name: Some(name.clone()),
                    soft: Some(u.soft),
                    hard: Some(u.hard),
                })
                .collect()
        }),
        sysctls: (!s.sysctls.is_empty()).then(|| s.sysctls.clone().into_iter().collect()),
        extra_hosts: (!s.extra_hosts.is_empty()).then(|| s.extra_hosts.clone()),
        dns: (!s.dns.is_empty()).then(|| s.dns.clone()),
        dns_search: (!s.dns_search.is_empty()).then(|| s.dns_search.clone()),
        security_opt: (!s.security_opt.is_empty()).then(|| s.security_opt.clone()),
        tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
        shm_size: s.shm_size.map(|b| b as i64),
        log_config: s.logging.as_ref().map(|l| HostConfigLogConfig {
            typ: l.driver.clone(),
            config: Some(l.options.clone().into_iter().collect()),
        }),
        nano_cpus: limits.cpus.map(|c| (c * 1e9) as i64),
        memory: limits.memory.map(|m| m as i64),
        pids_limit: limits.pids,
        memory_reservation: s.deploy.reservations.memory.map(|m| m as i64),
        cpu_shares: s.cpu_shares.or_else(|| {
            s.deploy
                .reservations
                .cpus
                .map(|c| ((c * 1024.0) as i64).max(2))
        }),
        devices: (!devices.is_empty()).then_some(devices),
        device_requests: (!device_requests.is_empty()).then_some(device_requests),
        pid_mode: s.pid.clone(),
        ipc_mode: s.ipc.clone(),
        volumes_from: (!s.volumes_from.is_empty()).then(|| {
            s.volumes_from
                .iter()
                .map(|v| v.strip_prefix("container:").unwrap_or(v).to_string())
                .collect()
        }),
        cgroupns_mode: t.cgroup.as_deref().map(|c| match c {
            "host" => HostConfigCgroupnsModeEnum::HOST,
            _ => HostConfigCgroupnsModeEnum::PRIVATE,
        }),
        cgroup_parent: t.cgroup_parent.clone(),
        cpu_period: t.cpu_period,
        cpu_quota: t.cpu_quota,
        cpu_realtime_period: t.cpu_rt_period,
        cpu_realtime_runtime: t.cpu_rt_runtime,
        cpuset_cpus: t.cpuset.clone(),
        device_cgroup_rules: (!t.device_cgroup_rules.is_empty())
            .then(|| t.device_cgroup_rules.clone()),
        dns_options: (!t.dns_opt.is_empty()).then(|| t.dns_opt.clone()),
        group_add: (!t.group_add.is_empty()).then(|| t.group_add.clone()),
        memory_swappiness: t.mem_swappiness,
        memory_swap: t.memswap_limit,
        oom_kill_disable: t.oom_kill_disable,
        oom_score_adj: t.oom_score_adj,
        runtime: t.runtime.clone(),
        storage_opt: (!t.storage_opt.is_empty())
            .then(|| t.storage_opt.clone().into_iter().collect()),
        userns_mode: t.userns_mode.clone(),
        uts_mode: t.uts.clone(),
        ..Default::default()
    };

    let healthcheck = s.healthcheck.as_ref().map(|h| {
        if h.disable {
            HealthConfig {
                test: Some(vec!["NONE".into()]),
                ..Default::default()
            }
        } else {
            let nanos = |d: Option<Duration>| d.map(|d| d.as_nanos() as i64);
            HealthConfig {
                test: (!h.test.is_empty()).then(|| h.test.clone()),
                interval: nanos(h.interval),
                timeout: nanos(h.timeout),
                retries: h.retries.map(i64::from),
                start_period: nanos(h.start_period),
                start_interval: nanos(h.start_interval),
            }
        }
    });

    let networking_config = (s.network_mode.is_none()).then(|| NetworkingConfig {
        endpoints_config: spec
            .networks
            .first()
            .map(|n| HashMap::from([(n.network.clone(), endpoint(n, &spec.links))])),
    });

    ContainerCreateBody {
        image: Some(spec.image.clone()),
        hostname: s.hostname.clone(),
        domainname: s.domainname.clone(),
        user: s.user.clone(),
        env: Some(
            s.environment
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
        ),
        cmd: s.command.clone(),
        entrypoint: s.entrypoint.clone(),
        working_dir: s.working_dir.clone(),
        labels: Some(spec.labels.clone().into_iter().collect()),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        tty: s.tty.then_some(true),
        open_stdin: s.stdin_open.then_some(true),
        stop_signal: s.stop_signal.clone(),
        stop_timeout: s.stop_grace_period.map(|d| d.as_secs() as i64),
        healthcheck,
        host_config: Some(host_config),
        networking_config,
        ..Default::default()
    }
}

/// The content of an injected file, read now (deploy time) and never stored elsewhere.
fn file_content(source: &FileSource) -> Vec<u8> {
    match source {
        FileSource::Content(text) => text.clone().into_bytes(),
        FileSource::Environment(var) => std::env::var(var).unwrap_or_default().into_bytes(),
    }
}

/// Writes a read-only container's injected files under the state directory (owner-only
/// directory, the file's own mode and owner) and returns their `source:target:ro` binds.
fn materialize_files(spec: &ContainerSpec) -> std::io::Result<Vec<String>> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let dir = crate::history::state_root().join("files").join(&spec.name);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)?;
    let mut binds = Vec::new();
    for (index, file) in spec.files.iter().enumerate() {
        let path = dir.join(format!("{index}"));
        std::fs::write(&path, file_content(&file.source))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(file.mode))?;
        let uid = file.uid.as_deref().and_then(|u| u.parse().ok());
        let gid = file.gid.as_deref().and_then(|g| g.parse().ok());
        if uid.is_some() || gid.is_some() {
            std::os::unix::fs::chown(&path, uid, gid)?;
        }
        binds.push(format!("{}:{}:ro", path.display(), file.target));
    }
    Ok(binds)
}

/// A tar archive holding one file at `path` (absolute in the container), for upload at `/`.
fn single_file_tar(
    path: &str,
    content: &[u8],
    mode: u32,
    uid: Option<&str>,
    gid: Option<&str>,
) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(mode);
    header.set_uid(uid.and_then(|u| u.parse().ok()).unwrap_or(0));
    header.set_gid(gid.and_then(|g| g.parse().ok()).unwrap_or(0));
    header.set_mtime(0);
    builder.append_data(&mut header, path.trim_start_matches('/'), content)?;
    builder.into_inner()
}

/// Free bytes for unprivileged users on the filesystem holding `path`.
fn free_disk(path: &str) -> Option<u64> {
    let stat = rustix::fs::statvfs(path).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

/// The innermost error's message (`Connection refused (os error 111)`), which says more to
/// a user than the HTTP client's wrapper (`client error (Connect)`).
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        let check = |image: &str, repo: &str, tag: &str| {
            assert_eq!(
                split_reference(image),
                (repo.to_string(), tag.to_string()),
                "{image}"
            );
        };
        check("nginx", "nginx", "latest");
        check("nginx:1.25", "nginx", "1.25");
        check("localhost:5000/app", "localhost:5000/app", "latest");
        check("localhost:5000/app:v2", "localhost:5000/app", "v2");
        check("app@sha256:abc", "app", "sha256:abc");
    }
}
