//! The Kubernetes driver: every API call the Kubernetes mode makes (kube-rs), returning plain
//! JSON values and `DriverError`s. Nothing else in the engine imports kube.

use std::collections::BTreeMap;
use std::path::Path;

use k8s_openapi::api::core::v1::{Event, Node, Pod};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, LogParams, Patch,
    PatchParams, PostParams, PropagationPolicy,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::Value;

use super::spec::{FIELD_MANAGER, Kind, KubeOptions, STACK_LABEL};
use crate::driver::DriverError;

/// A Kubernetes cluster reached through its API server, with the options a stack is
/// translated with (its namespace among them).
#[derive(Clone)]
pub struct KubeTarget {
    client: Client,
    server: String,
    pub options: KubeOptions,
}

/// A node as the inventory shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KubeNode {
    pub name: String,
    pub ready: bool,
    pub kubelet: String,
    /// Allocatable CPUs (millicores) and memory (bytes).
    pub cpu_millis: u64,
    pub memory_bytes: u64,
}

fn resource(kind: Kind) -> ApiResource {
    let (group, version) = match kind.api_version().split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", kind.api_version()),
    };
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(group, version, kind.name()),
        kind.plural(),
    )
}

impl KubeTarget {
    /// Connects as kubectl does: `kubeconfig` (else `KUBECONFIG`, `~/.kube/config`, or the
    /// in-cluster service account) and its `context` (else the current one).
    pub async fn connect(
        kubeconfig: Option<&Path>,
        context: Option<&str>,
        options: KubeOptions,
    ) -> Result<Self, DriverError> {
        let config_error = |e: String| DriverError::Engine {
            context: "kubeconfig".into(),
            message: e,
        };
        let opts = KubeConfigOptions {
            context: context.map(str::to_string),
            ..Default::default()
        };
        let config = match kubeconfig {
            Some(path) => {
                let file = Kubeconfig::read_from(path)
                    .map_err(|e| config_error(format!("{}: {e}", path.display())))?;
                Config::from_custom_kubeconfig(file, &opts)
                    .await
                    .map_err(|e| config_error(format!("{}: {e}", path.display())))?
            }
            None if context.is_some() => Config::from_kubeconfig(&opts)
                .await
                .map_err(|e| config_error(e.to_string()))?,
            None => Config::infer().await.map_err(|e| {
                config_error(format!(
                    "no cluster configured (--kubeconfig, KUBECONFIG or ~/.kube/config): {e}"
                ))
            })?,
        };
        Self::from_config(config, options)
    }

    /// A target from a kube-rs configuration (the server builds one from a stored kubeconfig).
    pub fn from_config(mut config: Config, options: KubeOptions) -> Result<Self, DriverError> {
        let server = config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_string();
        // A rollout is waited on by polling; a dead API server must not hang each call.
        config.connect_timeout = Some(std::time::Duration::from_secs(10));
        config.read_timeout = Some(std::time::Duration::from_secs(60));
        let client = Client::try_from(config).map_err(|e| DriverError::ClusterUnreachable {
            endpoint: server.clone(),
            message: e.to_string(),
        })?;
        Ok(Self {
            client,
            server,
            options,
        })
    }

    /// The API server's URL (the history keeps each cluster's deployments apart by it).
    pub fn server(&self) -> &str {
        &self.server
    }

    pub fn namespace(&self) -> &str {
        &self.options.namespace
    }

    /// The same cluster, for a stack in `namespace`.
    pub fn in_namespace(&self, namespace: &str) -> Self {
        let mut target = self.clone();
        target.options.namespace = namespace.to_string();
        target
    }

    fn error(&self, context: String, e: kube::Error) -> DriverError {
        match e {
            kube::Error::Api(status) if status.code == 404 => {
                DriverError::NotFound { resource: context }
            }
            kube::Error::Api(status) if status.code == 409 => DriverError::Conflict {
                resource: context,
                message: status.message.clone(),
            },
            kube::Error::Api(status) if status.code == 401 || status.code == 403 => {
                DriverError::Engine {
                    context,
                    message: format!(
                        "the API server refused the credentials ({} {}): {}",
                        status.code, status.reason, status.message
                    ),
                }
            }
            kube::Error::Api(status) => DriverError::Engine {
                context,
                message: status.message.clone(),
            },
            kube::Error::SerdeError(e) => DriverError::Engine {
                context,
                message: format!("unexpected answer from the API server: {e}"),
            },
            other => DriverError::ClusterUnreachable {
                endpoint: self.server.clone(),
                message: error_chain(&other),
            },
        }
    }

    fn api(&self, kind: Kind) -> Api<DynamicObject> {
        let resource = resource(kind);
        if kind == Kind::Namespace {
            Api::all_with(self.client.clone(), &resource)
        } else {
            Api::namespaced_with(self.client.clone(), &self.options.namespace, &resource)
        }
    }

    fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), &self.options.namespace)
    }

    /// The API server's version (`v1.36.2`).
    pub async fn version(&self) -> Result<String, DriverError> {
        self.client
            .apiserver_version()
            .await
            .map(|v| v.git_version)
            .map_err(|e| self.error("version".into(), e))
    }

    /// The cluster's nodes with their readiness and allocatable capacity.
    pub async fn nodes(&self) -> Result<Vec<KubeNode>, DriverError> {
        let nodes: Api<Node> = Api::all(self.client.clone());
        let list = nodes
            .list(&ListParams::default())
            .await
            .map_err(|e| self.error("nodes".into(), e))?;
        Ok(list
            .items
            .into_iter()
            .map(|n| {
                let status = n.status.unwrap_or_default();
                let ready = status
                    .conditions
                    .unwrap_or_default()
                    .iter()
                    .any(|c| c.type_ == "Ready" && c.status == "True");
                let allocatable = status.allocatable.unwrap_or_default();
                KubeNode {
                    name: n.metadata.name.unwrap_or_default(),
                    ready,
                    kubelet: status
                        .node_info
                        .map(|i| i.kubelet_version)
                        .unwrap_or_default(),
                    cpu_millis: allocatable
                        .get("cpu")
                        .and_then(|q| super::quantity_millis(&q.0))
                        .unwrap_or(0),
                    memory_bytes: allocatable
                        .get("memory")
                        .and_then(|q| super::quantity_bytes(&q.0))
                        .unwrap_or(0),
                }
            })
            .collect())
    }

    /// The namespace, when it exists.
    pub async fn get_namespace(&self) -> Result<Option<Value>, DriverError> {
        self.get(Kind::Namespace, &self.options.namespace.clone())
            .await
    }

    /// One object, when it exists.
    pub async fn get(&self, kind: Kind, name: &str) -> Result<Option<Value>, DriverError> {
        match self.api(kind).get_opt(name).await {
            Ok(object) => Ok(object.map(|o| serde_json::to_value(o).unwrap_or_default())),
            Err(e) => Err(self.error(format!("{}/{name}", kind.short()), e)),
        }
    }

    /// Every object of the stack's kinds labelled with `project` in the namespace.
    pub async fn live(
        &self,
        project: &str,
    ) -> Result<BTreeMap<(Kind, String), Value>, DriverError> {
        let params = ListParams::default().labels(&format!("{STACK_LABEL}={project}"));
        let lists = futures::future::join_all(Kind::NAMESPACED.iter().map(|kind| {
            let api = self.api(*kind);
            let params = params.clone();
            async move { (*kind, api.list(&params).await) }
        }))
        .await;
        let mut live = BTreeMap::new();
        for (kind, list) in lists {
            let list = list.map_err(|e| self.error(kind.plural().into(), e))?;
            for object in list.items {
                let name = object.metadata.name.clone().unwrap_or_default();
                let mut value = serde_json::to_value(object).unwrap_or_default();
                // A list's items come without their type.
                value["apiVersion"] = Value::String(kind.api_version().into());
                value["kind"] = Value::String(kind.name().into());
                live.insert((kind, name), value);
            }
        }
        Ok(live)
    }

    /// Objects in the namespace that are not the stack's (`kind/name`), besides what
    /// Kubernetes puts in every namespace.
    pub async fn foreign_objects(&self, project: &str) -> Result<Vec<String>, DriverError> {
        let mut foreign = Vec::new();
        let mut kinds: Vec<(Kind, ApiResource)> = Kind::NAMESPACED
            .iter()
            .map(|k| (*k, resource(*k)))
            .collect();
        kinds.push((Kind::Namespace, ApiResource::erase::<Pod>(&())));
        for (kind, resource) in kinds {
            let api: Api<DynamicObject> =
                Api::namespaced_with(self.client.clone(), &self.options.namespace, &resource);
            let list = api
                .list(&ListParams::default())
                .await
                .map_err(|e| self.error(resource.plural.clone(), e))?;
            for object in list.items {
                let name = object.metadata.name.clone().unwrap_or_default();
                let stack = object
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(STACK_LABEL));
                // The CA bundles the control plane publishes in every namespace (OpenShift
                // adds its own), and objects owned by others (a workload's pods).
                let built_in = (kind == Kind::ConfigMap
                    && (name == "kube-root-ca.crt" || name == "openshift-service-ca.crt"))
                    || object
                        .metadata
                        .owner_references
                        .as_ref()
                        .is_some_and(|o| !o.is_empty());
                if stack.map(String::as_str) != Some(project) && !built_in {
                    foreign.push(format!("{}/{name}", resource.kind.to_lowercase()));
                }
            }
        }
        Ok(foreign)
    }

    /// Server-side apply of `body` under WindFlow's field manager (forced: WindFlow owns what
    /// it declares), strictly validated; `dry_run` changes nothing and answers with the
    /// object as it would be.
    pub async fn apply(
        &self,
        kind: Kind,
        name: &str,
        body: &Value,
        dry_run: bool,
    ) -> Result<Value, DriverError> {
        let mut params = PatchParams::apply(FIELD_MANAGER)
            .force()
            .validation_strict();
        if dry_run {
            params = params.dry_run();
        }
        self.api(kind)
            .patch(name, &params, &Patch::Apply(body))
            .await
            .map(|o| serde_json::to_value(o).unwrap_or_default())
            .map_err(|e| self.error(format!("{}/{name}", kind.short()), e))
    }

    /// Deletes an object (its dependents in the background); one already gone is fine.
    pub async fn delete(&self, kind: Kind, name: &str) -> Result<(), DriverError> {
        let params = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Background),
            ..Default::default()
        };
        match self.api(kind).delete(name, &params).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(e) => Err(self.error(format!("{}/{name}", kind.short()), e)),
        }
    }

    /// Creates the namespace (labelled with the stack) unless it exists.
    pub async fn create_namespace(&self, body: &Value) -> Result<(), DriverError> {
        let object: DynamicObject =
            serde_json::from_value(body.clone()).map_err(|e| DriverError::Engine {
                context: "namespace".into(),
                message: e.to_string(),
            })?;
        match self
            .api(Kind::Namespace)
            .create(&PostParams::default(), &object)
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
            Err(e) => Err(self.error(format!("namespace/{}", self.options.namespace), e)),
        }
    }

    /// The pods of a service of the stack (selected by its labels), as JSON.
    pub async fn service_pods(
        &self,
        project: &str,
        service: &str,
    ) -> Result<Vec<Value>, DriverError> {
        let params = ListParams::default().labels(&format!(
            "{STACK_LABEL}={project},{}={service}",
            super::spec::SERVICE_LABEL
        ));
        let list = self
            .pods()
            .list(&params)
            .await
            .map_err(|e| self.error(format!("pods of {service}"), e))?;
        Ok(list
            .items
            .into_iter()
            .map(|p| serde_json::to_value(p).unwrap_or_default())
            .collect())
    }

    /// The events about an object (by uid: a new pod may have an old one's name), oldest
    /// first, as `Reason: message` lines.
    pub async fn events_of(&self, uid: &str) -> Result<Vec<String>, DriverError> {
        let name = uid;
        let events: Api<Event> = Api::namespaced(self.client.clone(), &self.options.namespace);
        let params = ListParams::default().fields(&format!("involvedObject.uid={uid}"));
        let mut list = events
            .list(&params)
            .await
            .map_err(|e| self.error(format!("events of {name}"), e))?
            .items;
        list.sort_by_key(|e| e.last_timestamp.clone().map(|t| t.0));
        Ok(list
            .into_iter()
            .map(|e| {
                format!(
                    "{}: {}",
                    e.reason.unwrap_or_default(),
                    e.message.unwrap_or_default().trim()
                )
            })
            .collect())
    }

    /// A pod's log: its last `tail` lines (all when `None`), of the current or previous run.
    pub async fn pod_log(
        &self,
        pod: &str,
        tail: Option<i64>,
        previous: bool,
        timestamps: bool,
    ) -> Result<String, DriverError> {
        let params = LogParams {
            tail_lines: tail,
            previous,
            timestamps,
            ..Default::default()
        };
        self.pods()
            .logs(pod, &params)
            .await
            .map_err(|e| self.error(format!("log of pod {pod}"), e))
    }

    /// A pod's log as it is written (`follow`), line by line.
    pub async fn pod_log_stream(
        &self,
        pod: &str,
        tail: Option<i64>,
        timestamps: bool,
    ) -> Result<impl futures::AsyncBufRead + use<>, DriverError> {
        let params = LogParams {
            tail_lines: tail,
            follow: true,
            timestamps,
            ..Default::default()
        };
        self.pods()
            .log_stream(pod, &params)
            .await
            .map_err(|e| self.error(format!("log of pod {pod}"), e))
    }
}

/// An error with its causes (`connection refused` is three levels down in hyper's errors).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

/// One stack found on a cluster: its namespace and how many of its workloads are ready.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KubeStack {
    pub name: String,
    pub namespace: String,
    pub workloads: usize,
    pub ready: usize,
}

impl KubeTarget {
    /// Every stack WindFlow deployed on the cluster (its labelled workloads, all namespaces).
    pub async fn stacks(&self) -> Result<Vec<KubeStack>, DriverError> {
        let params = ListParams::default().labels(STACK_LABEL);
        let mut stacks: BTreeMap<(String, String), KubeStack> = BTreeMap::new();
        for kind in [Kind::Deployment, Kind::StatefulSet] {
            let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &resource(kind));
            let list = api
                .list(&params)
                .await
                .map_err(|e| self.error(kind.plural().into(), e))?;
            for object in list.items {
                let value = serde_json::to_value(&object).unwrap_or_default();
                let stack = object
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(STACK_LABEL))
                    .cloned()
                    .unwrap_or_default();
                let namespace = object.metadata.namespace.clone().unwrap_or_default();
                let entry = stacks
                    .entry((namespace.clone(), stack.clone()))
                    .or_insert(KubeStack {
                        name: stack,
                        namespace,
                        workloads: 0,
                        ready: 0,
                    });
                entry.workloads += 1;
                if super::rolled_out(kind, &value) {
                    entry.ready += 1;
                }
            }
        }
        Ok(stacks.into_values().collect())
    }

    /// Restarts a workload's pods through a rollout, as `kubectl rollout restart` does.
    pub async fn restart(&self, kind: Kind, name: &str) -> Result<(), DriverError> {
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let patch = serde_json::json!({ "spec": { "template": { "metadata": { "annotations": {
            "kubectl.kubernetes.io/restartedAt": now } } } } });
        let params = PatchParams {
            field_manager: Some(format!("{FIELD_MANAGER}-restart")),
            ..Default::default()
        };
        self.api(kind)
            .patch(name, &params, &Patch::Merge(&patch))
            .await
            .map(|_| ())
            .map_err(|e| self.error(format!("{}/{name}", kind.short()), e))
    }
}

/// A kubeconfig given as text (a server's stored target) must be self-contained: a command to
/// run (`exec`, `auth-provider`) or a file to read (`certificate-authority`,
/// `client-certificate`, `client-key`, `tokenFile`) would run or read on the server's host.
fn self_contained(yaml: &str) -> Result<Kubeconfig, String> {
    let file = Kubeconfig::from_yaml(yaml).map_err(|e| e.to_string())?;
    let mut refused = Vec::new();
    for named in &file.auth_infos {
        let Some(user) = &named.auth_info else {
            continue;
        };
        for (set, field) in [
            (user.exec.is_some(), "exec"),
            (user.auth_provider.is_some(), "auth-provider"),
            (user.client_certificate.is_some(), "client-certificate"),
            (user.client_key.is_some(), "client-key"),
            (user.token_file.is_some(), "tokenFile"),
        ] {
            if set {
                refused.push(format!("users[{}].user.{field}", named.name));
            }
        }
    }
    for named in &file.clusters {
        if named
            .cluster
            .as_ref()
            .is_some_and(|c| c.certificate_authority.is_some())
        {
            refused.push(format!(
                "clusters[{}].cluster.certificate-authority",
                named.name
            ));
        }
    }
    if refused.is_empty() {
        Ok(file)
    } else {
        Err(format!(
            "{} would run a command or read a file on the server: give the credentials inline (token, client-certificate-data, client-key-data, certificate-authority-data)",
            refused.join(", ")
        ))
    }
}

impl KubeTarget {
    /// A target from a kubeconfig's text (a stored target's), at `context` (else its current
    /// context). The text must be self-contained (no command, no file).
    pub async fn from_kubeconfig_yaml(
        yaml: &str,
        context: Option<&str>,
        options: KubeOptions,
    ) -> Result<Self, DriverError> {
        let invalid = |e: String| DriverError::Engine {
            context: "kubeconfig".into(),
            message: e,
        };
        let file = self_contained(yaml).map_err(invalid)?;
        let opts = KubeConfigOptions {
            context: context.map(str::to_string),
            ..Default::default()
        };
        let config = Config::from_custom_kubeconfig(file, &opts)
            .await
            .map_err(|e| invalid(e.to_string()))?;
        Self::from_config(config, options)
    }

    /// The API server a kubeconfig's text points at (its context's cluster), without
    /// connecting: the target's endpoint.
    pub async fn server_of(yaml: &str, context: Option<&str>) -> Result<String, String> {
        let file = self_contained(yaml)?;
        let opts = KubeConfigOptions {
            context: context.map(str::to_string),
            ..Default::default()
        };
        let config = Config::from_custom_kubeconfig(file, &opts)
            .await
            .map_err(|e| e.to_string())?;
        Ok(config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_string())
    }

    /// The cluster as a target's status shows it: its identity (the `kube-system`
    /// namespace's uid, the same through every credential), version, nodes and capacity.
    pub async fn cluster_info(&self) -> Result<windflow_domain::observed::EngineInfo, DriverError> {
        let version = self.version().await?;
        let system = self
            .api(Kind::Namespace)
            .get("kube-system")
            .await
            .map_err(|e| self.error("namespace/kube-system".into(), e))?;
        let nodes = self.nodes().await?;
        let pods: Api<Pod> = Api::all(self.client.clone());
        let running = pods
            .list_metadata(&ListParams::default().fields("status.phase=Running"))
            .await
            .map(|l| l.items.len() as u64)
            .unwrap_or(0);
        Ok(windflow_domain::observed::EngineInfo {
            engine_id: system.metadata.uid.map(|uid| format!("kubernetes:{uid}")),
            version,
            api_version: "v1".into(),
            os: "kubernetes".into(),
            arch: String::new(),
            hostname: match nodes.as_slice() {
                [one] => one.name.clone(),
                many => format!("{} nodes", many.len()),
            },
            cpus: nodes.iter().map(|n| n.cpu_millis).sum::<u64>() / 1000,
            memory_bytes: nodes.iter().map(|n| n.memory_bytes).sum(),
            containers_running: running,
            ..Default::default()
        })
    }
}
