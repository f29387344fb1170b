//! What backups run on a target: restic in a helper container (the repository's password and
//! credentials put in as files), busybox file operations in the same image, commands in a
//! service's container, and the discovery of a stack's containers, volumes and databases
//! from the engine's own description of them.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use windflow_backup::restic::{
    self, AWS_CREDENTIALS_FILE, DATA_ROOT, FOLDER_MOUNT, KNOWN_HOSTS_FILE, PASSWORD_FILE,
    SSH_KEY_FILE,
};
use windflow_backup::{Engine, Failure, Invocation, Location, Policy};
use windflow_domain::naming::LABEL_PROJECT;
use windflow_engine::driver::Driver;
use windflow_engine::task::{ExecSpec, TaskFile, TaskIo, TaskMount, TaskOutput, TaskSpec};

use super::{Credentials, LABEL_RUN};

/// An opened repository: where, and the secrets restic needs.
pub struct Repo {
    pub id: String,
    pub location: Location,
    pub password: String,
    pub credentials: Credentials,
}

impl Repo {
    fn files(&self) -> Vec<TaskFile> {
        let mut files = vec![TaskFile {
            path: PASSWORD_FILE.into(),
            contents: self.password.clone().into_bytes(),
            mode: 0o400,
        }];
        if let (Some(a), Some(s)) = (
            &self.credentials.access_key_id,
            &self.credentials.secret_access_key,
        ) {
            files.push(TaskFile {
                path: AWS_CREDENTIALS_FILE.into(),
                contents: restic::aws_credentials(a, s),
                mode: 0o400,
            });
        }
        if let Some(key) = &self.credentials.ssh_private_key {
            let mut key = key.clone().into_bytes();
            if !key.ends_with(b"\n") {
                key.push(b'\n');
            }
            files.push(TaskFile {
                path: SSH_KEY_FILE.into(),
                contents: key,
                mode: 0o400,
            });
        }
        if let Some(hosts) = &self.credentials.ssh_known_hosts {
            files.push(TaskFile {
                path: KNOWN_HOSTS_FILE.into(),
                contents: hosts.clone().into_bytes(),
                mode: 0o444,
            });
        }
        files
    }

    /// The values to mask in anything restic prints.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = vec![self.password.clone()];
        out.extend(self.credentials.secret_access_key.clone());
        out.extend(self.credentials.ssh_private_key.clone());
        out.retain(|s| s.len() >= 4);
        out
    }
}

/// Runs helper containers for one operation on one target.
pub struct Helper {
    pub driver: Arc<dyn Driver>,
    pub image: String,
    /// The run (or request) the helpers belong to: their label, for cleaning up after a crash.
    pub owner: String,
    step: std::sync::atomic::AtomicUsize,
}

/// A volume or folder mounted into a helper at `/data/<item>` (or elsewhere).
#[derive(Debug, Clone)]
pub struct DataMount {
    pub source: String,
    pub target: String,
    pub bind: bool,
    pub read_only: bool,
}

impl Helper {
    pub fn new(driver: Arc<dyn Driver>, image: &str, owner: &str) -> Helper {
        Helper {
            driver,
            image: image.to_string(),
            owner: owner.to_string(),
            step: Default::default(),
        }
    }

    fn spec(&self, entrypoint: &str, cmd: Vec<String>, mounts: &[DataMount]) -> TaskSpec {
        let step = self.step.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let short: String = self
            .owner
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(16)
            .collect();
        let nonce: String = crate::auth::new_secret()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(6)
            .collect();
        TaskSpec {
            name: format!("windflow-backup-{short}-{step}-{nonce}"),
            image: self.image.clone(),
            entrypoint: vec![entrypoint.to_string()],
            cmd,
            env: Vec::new(),
            mounts: mounts
                .iter()
                .map(|m| TaskMount {
                    source: m.source.clone(),
                    target: m.target.clone(),
                    read_only: m.read_only,
                    bind: m.bind,
                })
                .collect(),
            files: Vec::new(),
            // No network unless the repository needs one (set by `restic`).
            network_mode: Some("none".into()),
            labels: BTreeMap::from([
                (LABEL_RUN.to_string(), self.owner.clone()),
                ("org.windflow.backup.helper".to_string(), "true".to_string()),
            ]),
            hostname: Some("windflow-backup".into()),
            user: Some("0:0".into()),
        }
    }

    /// Runs restic with `invocation` against `repo`, volumes in `mounts`.
    pub async fn restic(
        &self,
        repo: &Repo,
        invocation: Invocation,
        mounts: &[DataMount],
        io: TaskIo,
    ) -> Result<TaskOutput, String> {
        let mut all = mounts.to_vec();
        if let Location::Folder { path, volume } = &repo.location {
            all.push(DataMount {
                source: path.clone(),
                target: FOLDER_MOUNT.into(),
                bind: !volume,
                read_only: false,
            });
        }
        let mut spec = self.spec("/usr/bin/restic", invocation.args, &all);
        spec.env = repo.location.env();
        spec.files = repo.files();
        spec.network_mode = match &repo.location {
            // A repository on the target's own loopback is reached from the host's network.
            l if l.needs_host_network() => Some("host".into()),
            // A folder is mounted: nothing to reach.
            Location::Folder { .. } => Some("none".into()),
            // A remote endpoint: the engine's default network.
            _ => None,
        };
        self.driver
            .run_task(&spec, io)
            .await
            .map_err(|e| e.to_string())
    }

    /// Runs restic and turns a non-zero exit into a classified failure.
    pub async fn restic_ok(
        &self,
        repo: &Repo,
        invocation: Invocation,
        mounts: &[DataMount],
        io: TaskIo,
    ) -> Result<TaskOutput, String> {
        let out = self.restic(repo, invocation, mounts, io).await?;
        if out.success() {
            Ok(out)
        } else {
            Err(failure(repo, &out).to_string())
        }
    }

    /// Runs a busybox applet (`cp`, `find`, `rm`, …) with `mounts`.
    pub async fn busybox(&self, argv: &[&str], mounts: &[DataMount]) -> Result<TaskOutput, String> {
        let spec = self.spec(
            "/bin/busybox",
            argv.iter().map(|s| s.to_string()).collect(),
            mounts,
        );
        let out = self
            .driver
            .run_task(&spec, TaskIo::default())
            .await
            .map_err(|e| e.to_string())?;
        if out.success() {
            Ok(out)
        } else {
            Err(format!(
                "{} failed (exit code {}): {}",
                argv.first().unwrap_or(&""),
                out.exit_code,
                out.stderr.trim()
            ))
        }
    }

    /// Removes whatever helpers of this owner still run (a crashed attempt's).
    pub async fn clean_up(&self) {
        if let Err(e) = self.driver.remove_labelled(LABEL_RUN, &self.owner).await {
            tracing::warn!(error = %e, owner = %self.owner, "removing leftover backup helpers");
        }
    }
}

/// A failed restic run, classified, with the secrets masked.
pub fn failure(repo: &Repo, out: &TaskOutput) -> Failure {
    let mut f = restic::classify(out.exit_code, &out.stderr);
    f.detail = crate::secrets::mask_text(&f.detail, &repo.secrets());
    f
}

// ---- a stack on its engine ------------------------------------------------------------------

/// One mount of a service's container.
#[derive(Debug, Clone)]
pub struct MountInfo {
    /// A named volume (its engine name) or a host folder.
    pub volume: Option<String>,
    pub source: String,
    pub destination: String,
}

/// A container of the stack, as its engine describes it.
#[derive(Debug, Clone)]
pub struct ServiceContainer {
    pub id: String,
    pub service: String,
    pub image: String,
    pub env: BTreeMap<String, String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub running: bool,
    pub mounts: Vec<MountInfo>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The stack's containers on the engine (`project` is the stack's name there).
pub async fn containers(
    driver: &Arc<dyn Driver>,
    project: &str,
) -> Result<Vec<ServiceContainer>, String> {
    let inventory = driver.inventory().await.map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for c in inventory
        .containers
        .into_iter()
        .filter(|c| c.project.as_deref() == Some(project))
    {
        let inspect = driver
            .inspect_container(&c.id)
            .await
            .map_err(|e| e.to_string())?;
        // The label is read again from the engine's full answer: it decides ownership.
        if inspect
            .pointer(&format!(
                "/Config/Labels/{}",
                LABEL_PROJECT.replace('/', "~1")
            ))
            .and_then(Value::as_str)
            != Some(project)
        {
            continue;
        }
        let env = strings(inspect.pointer("/Config/Env"))
            .into_iter()
            .filter_map(|kv| {
                kv.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
            })
            .collect();
        let mounts = inspect
            .pointer("/Mounts")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|m| {
                        let kind = m.get("Type")?.as_str()?;
                        let destination = m.get("Destination")?.as_str()?.to_string();
                        match kind {
                            "volume" => Some(MountInfo {
                                volume: Some(m.get("Name")?.as_str()?.to_string()),
                                source: m.get("Name")?.as_str()?.to_string(),
                                destination,
                            }),
                            "bind" => Some(MountInfo {
                                volume: None,
                                source: m.get("Source")?.as_str()?.to_string(),
                                destination,
                            }),
                            _ => None,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(ServiceContainer {
            id: c.id.clone(),
            service: c.service.clone().unwrap_or_default(),
            image: inspect
                .pointer("/Config/Image")
                .and_then(Value::as_str)
                .unwrap_or(&c.image)
                .to_string(),
            env,
            entrypoint: strings(inspect.pointer("/Config/Entrypoint")),
            cmd: strings(inspect.pointer("/Config/Cmd")),
            running: inspect
                .pointer("/State/Running")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            mounts,
        });
    }
    out.sort_by(|a, b| a.service.cmp(&b.service).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// What a backup of the stack holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Item {
    /// `volume:<key>`, `bind:<service>:<path>` or `database:<service>`.
    pub name: String,
    pub kind: String,
    pub engine: Option<Engine>,
    /// The service for a database (and the service whose container's files a bind is).
    pub service: Option<String>,
    /// The engine's volume name, or the host folder.
    pub source: String,
    /// The path inside the snapshot.
    pub path: String,
}

/// A volume's key in the stack (`<project>_data` → `data`).
pub fn volume_key(project: &str, engine_name: &str) -> String {
    engine_name
        .strip_prefix(&format!("{project}_"))
        .unwrap_or(engine_name)
        .to_string()
}

fn safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_matches('_')
        .to_string()
}

/// The items `policy` selects in the running stack: databases (detected or declared),
/// named volumes (those of dumped databases only when listed), bind folders when asked.
pub fn items(project: &str, policy: &Policy, containers: &[ServiceContainer]) -> Vec<Item> {
    let mut out: Vec<Item> = Vec::new();
    let mut dumped_services = Vec::new();
    let mut seen_services = std::collections::BTreeSet::new();
    for c in containers {
        if !seen_services.insert(c.service.clone()) {
            continue;
        }
        let declared = policy.databases.get(&c.service);
        let engine = declared.and_then(|d| d.engine).or_else(|| {
            (policy.detect_databases || declared.is_some())
                .then(|| windflow_backup::engines::detect(&c.image))
                .flatten()
        });
        let Some(engine) = engine else { continue };
        if engine.dumps() {
            dumped_services.push(c.service.clone());
            out.push(Item {
                name: format!("database:{}", c.service),
                kind: "database".into(),
                engine: Some(engine),
                service: Some(c.service.clone()),
                source: c.service.clone(),
                path: format!("/{}", engine.dump_file(&c.service)),
            });
        }
    }
    let mut volumes = std::collections::BTreeSet::new();
    for c in containers {
        for m in &c.mounts {
            let Some(volume) = &m.volume else { continue };
            let key = volume_key(project, volume);
            let listed = policy.volumes.as_ref().map(|v| v.contains(&key));
            let take = match listed {
                Some(listed) => listed,
                // A dumped database's files are not copied as well, unless listed.
                None => !dumped_services.contains(&c.service),
            };
            if take && volumes.insert(volume.clone()) {
                let redis = windflow_backup::engines::detect(&c.image) == Some(Engine::Redis);
                out.push(Item {
                    name: format!("volume:{key}"),
                    kind: "volume".into(),
                    engine: redis.then_some(Engine::Redis),
                    service: redis.then(|| c.service.clone()),
                    source: volume.clone(),
                    path: format!("{DATA_ROOT}/{}", safe(&key)),
                });
            }
        }
    }
    if policy.binds {
        for c in containers {
            for m in c.mounts.iter().filter(|m| m.volume.is_none()) {
                if m.source.ends_with("docker.sock") {
                    continue;
                }
                let name = format!("bind:{}:{}", c.service, m.destination);
                if out.iter().any(|i| i.name == name) {
                    continue;
                }
                out.push(Item {
                    name,
                    kind: "bind".into(),
                    engine: None,
                    service: Some(c.service.clone()),
                    source: m.source.clone(),
                    path: format!(
                        "{DATA_ROOT}/bind-{}-{}",
                        safe(&c.service),
                        safe(&m.destination)
                    ),
                });
            }
        }
    }
    out
}

/// The running container of `service` (the first one, for replicas).
pub fn running<'a>(
    containers: &'a [ServiceContainer],
    service: &str,
) -> Option<&'a ServiceContainer> {
    containers
        .iter()
        .find(|c| c.service == service && c.running)
}

/// Runs `argv` in a container; a non-zero exit is an error with its output's end.
pub async fn exec_ok(
    driver: &Arc<dyn Driver>,
    container: &str,
    argv: Vec<String>,
    env: Vec<String>,
    io: TaskIo,
    mask: &[String],
) -> Result<TaskOutput, String> {
    let what = argv.first().cloned().unwrap_or_default();
    let out = driver
        .exec(
            container,
            &ExecSpec {
                cmd: argv,
                env,
                user: None,
                working_dir: None,
            },
            io,
        )
        .await
        .map_err(|e| e.to_string())?;
    if out.success() {
        Ok(out)
    } else {
        let tail: String = out
            .stderr
            .trim()
            .chars()
            .rev()
            .take(600)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let stdout_tail = if tail.is_empty() {
            out.stdout_text().trim().chars().take(600).collect()
        } else {
            tail
        };
        Err(crate::secrets::mask_text(
            &format!("{what} exited with code {}: {stdout_tail}", out.exit_code),
            mask,
        ))
    }
}
