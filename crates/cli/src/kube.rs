//! `--mode kubernetes`: the cluster from the kubeconfig (as kubectl reads it), the stack's
//! namespace, refusals located in the compose file, and the Kubernetes side of `ps`, `logs`,
//! `ls`, `restart` and `export`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use futures::{AsyncBufReadExt, StreamExt};
use owo_colors::OwoColorize;
use windflow_domain::StackSpec;
use windflow_engine::kube::{self, KubeOptions, KubeTarget, KubeWorkload};

use crate::failure::Failure;
use crate::render::{self, print_json};
use crate::{Global, LogsArgs, Output, exit};

type Result<T> = std::result::Result<T, Failure>;

/// Where and how a stack goes on Kubernetes (`--mode kubernetes`).
#[derive(Args, Debug, Clone, Default)]
pub struct KubeArgs {
    /// Kubernetes: the kubeconfig file (default: KUBECONFIG, else ~/.kube/config, else the
    /// in-cluster service account).
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubernetes: the kubeconfig context (default: its current context).
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Kubernetes: the stack's namespace (default: the project name).
    #[arg(long, global = true, value_name = "NAME")]
    pub namespace: Option<String>,
    /// Kubernetes: the storage class of named volumes' claims (default: the cluster's).
    #[arg(long, global = true, value_name = "CLASS")]
    pub storage_class: Option<String>,
    /// Kubernetes: the ingress class of domains' Ingresses (default: the cluster's).
    #[arg(long, global = true, value_name = "CLASS")]
    pub ingress_class: Option<String>,
    /// Kubernetes: the cert-manager cluster issuer for domains with `tls: auto`.
    #[arg(long, global = true, value_name = "NAME")]
    pub cluster_issuer: Option<String>,
    /// Kubernetes: allow host networking, host PID/IPC, privileged pods and host paths.
    #[arg(long, global = true)]
    pub allow_host_access: bool,
}

/// The translation options for `project`.
pub fn options(g: &Global, project: &str) -> KubeOptions {
    let k = &g.kube;
    KubeOptions {
        namespace: k
            .namespace
            .clone()
            .unwrap_or_else(|| kube::spec::default_namespace(project)),
        storage_class: k.storage_class.clone(),
        ingress_class: k.ingress_class.clone(),
        cluster_issuer: k.cluster_issuer.clone(),
        host_access: k.allow_host_access,
    }
}

/// The cluster, for `project`'s namespace.
pub async fn connect(g: &Global, project: &str) -> Result<KubeTarget> {
    let k = &g.kube;
    Ok(KubeTarget::connect(
        k.kubeconfig.as_deref(),
        k.context.as_deref(),
        options(g, project),
    )
    .await?)
}

/// The history's endpoint for a cluster and namespace.
pub fn endpoint(target: &KubeTarget) -> String {
    format!("{}/{}", target.server(), target.namespace())
}

/// Refuses, before anything is contacted, a stack Kubernetes cannot run: every field at fault
/// with its file and line.
pub fn check(stack: &StackSpec, options: &KubeOptions) -> Result<()> {
    let contents = kube::read_contents(stack).map_err(|e| Failure::new(exit::INVALID_STACK, e))?;
    let Err(refusals) = kube::spec::translate(stack, &contents, options) else {
        return Ok(());
    };
    let texts: Vec<(PathBuf, String)> = stack
        .config_files
        .iter()
        .filter_map(|f| Some((f.clone(), std::fs::read_to_string(f).ok()?)))
        .collect();
    let lines: Vec<String> = refusals
        .iter()
        .map(|r| {
            // The last file that writes the field (later files override earlier ones).
            let at = texts.iter().rev().find_map(|(file, text)| {
                let top = r.path.split(['.', '[']).next().unwrap_or_default();
                let line = windflow_compose::locate(text, &r.path)?;
                // `locate` answers the nearest enclosing field: only a file that has the
                // field's section at all names it.
                windflow_compose::locate(text, top)?;
                Some(format!("{}:{line}: ", file.display()))
            });
            format!("{}{}", at.unwrap_or_default(), r)
        })
        .collect();
    Err(Failure::new(
        exit::INVALID_STACK,
        format!(
            "this stack cannot run on Kubernetes as written:\n{}",
            lines.join("\n")
        ),
    ))
}

/// `ps`: the workloads, then their pods.
pub fn print_workloads(workloads: &[KubeWorkload]) {
    let mut table = render::table(["NAME", "SERVICE", "KIND", "READY", "UP-TO-DATE"]);
    for w in workloads {
        table.add_row([
            w.name.clone(),
            w.service.clone(),
            w.kind.short().to_string(),
            format!("{}/{}", w.ready, w.replicas),
            w.updated.to_string(),
        ]);
    }
    println!("{table}");
    let mut pods = render::table(["POD", "NODE", "PHASE", "READY", "RESTARTS", "REASON"]);
    for w in workloads {
        for p in &w.pods {
            pods.add_row([
                p.name.clone(),
                p.node.clone().unwrap_or_default(),
                p.phase.clone(),
                if p.ready { "yes" } else { "no" }.to_string(),
                p.restarts.to_string(),
                p.reason.clone().unwrap_or_default(),
            ]);
        }
    }
    println!("{pods}");
}

/// `logs --mode kubernetes`: every pod's log, prefixed `service/pod |`; `--follow` merges the
/// pods' streams as lines arrive.
pub async fn logs(g: &Global, target: &KubeTarget, project: &str, args: &LogsArgs) -> Result<()> {
    let tail = match args.tail.as_str() {
        "all" | "-1" => None,
        n => Some(
            n.parse::<i64>()
                .map_err(|_| Failure::new(exit::USAGE, format!("invalid --tail {n:?}")))?,
        ),
    };
    if args.since.is_some() {
        return Err(Failure::new(
            exit::USAGE,
            "--since is not read with --mode kubernetes yet: use --tail",
        ));
    }
    let pods = kube::pods_of(target, project, &args.services).await?;
    if pods.is_empty() {
        return Err(Failure::new(
            exit::FAILURE,
            format!("{project} has no pods in namespace {}", target.namespace()),
        ));
    }
    let colour = !args.no_color && std::env::var_os("NO_COLOR").is_none();
    let prefix = |i: usize, service: &str, pod: &str| -> String {
        if args.no_log_prefix {
            return String::new();
        }
        let text = format!("{service}/{pod} | ");
        if colour {
            let c = crate::logs::COLOURS[i % crate::logs::COLOURS.len()];
            text.color(c).to_string()
        } else {
            text
        }
    };
    if !args.follow {
        for (i, (service, pod)) in pods.iter().enumerate() {
            let text = target.pod_log(pod, tail, false, args.timestamps).await?;
            for line in text.lines() {
                if g.output == Output::Json {
                    print_json(
                        &serde_json::json!({ "service": service, "pod": pod, "line": line }),
                    );
                } else {
                    println!("{}{line}", prefix(i, service, pod));
                }
            }
        }
        return Ok(());
    }
    let mut streams = futures::stream::SelectAll::new();
    for (i, (service, pod)) in pods.iter().enumerate() {
        let reader = target.pod_log_stream(pod, tail, args.timestamps).await?;
        let head = prefix(i, service, pod);
        streams.push(reader.lines().map(move |line| (head.clone(), line)).boxed());
    }
    while let Some((head, line)) = streams.next().await {
        match line {
            Ok(line) => println!("{head}{line}"),
            Err(e) => eprintln!("{head}{e}"),
        }
    }
    Ok(())
}

/// `ls --mode kubernetes`: every stack on the cluster, by namespace.
pub async fn ls(g: &Global) -> Result<()> {
    let target = connect(g, "default").await?;
    let stacks = target.stacks().await?;
    if g.output == Output::Json {
        print_json(&stacks);
        return Ok(());
    }
    let mut table = render::table(["NAME", "NAMESPACE", "STATUS"]);
    for s in stacks {
        table.add_row([
            s.name,
            s.namespace,
            format!("ready({}/{})", s.ready, s.workloads),
        ]);
    }
    println!("{table}");
    Ok(())
}

/// `restart --mode kubernetes`: a rollout of each named service's workload (all by default).
pub async fn restart(
    g: &Global,
    target: &KubeTarget,
    project: &str,
    services: &[String],
) -> Result<()> {
    let workloads = kube::status(target, project).await?;
    for s in services {
        if !workloads.iter().any(|w| &w.service == s) {
            return Err(Failure::new(
                exit::FAILURE,
                format!(
                    "{project} has no service {s:?} in namespace {}",
                    target.namespace()
                ),
            ));
        }
    }
    for w in workloads
        .iter()
        .filter(|w| services.is_empty() || services.contains(&w.service))
    {
        target.restart(w.kind, &w.name).await?;
        if g.output == Output::Text {
            println!("restarted {}/{}", w.kind.short(), w.name);
        }
    }
    Ok(())
}

/// What `export` writes.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Kubernetes manifests (one YAML stream), as `up --mode kubernetes` applies them.
    Kubernetes,
}

/// `export --format kubernetes`: the manifests for GitOps, to a file or stdout. Secrets are
/// written without their values unless `include_secrets`: a manifest file is not a place
/// for them (the warning says how to create each one).
pub fn export(
    stack: &StackSpec,
    options: &KubeOptions,
    output: Option<&PathBuf>,
    include_secrets: bool,
) -> Result<()> {
    check(stack, options)?;
    let translation = kube::translate(stack, options)?;
    for w in &translation.warnings {
        eprintln!("{}", render::warning_text(w));
    }
    let mut text = String::new();
    for mut body in kube::export(&translation) {
        if body["kind"] == "Secret" && !include_secrets {
            let name = body["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if let Some(map) = body.as_object_mut() {
                map.remove("data");
            }
            eprintln!(
                "{}",
                render::warning_text(&format!(
                    "secret {name} is exported without its value: create it with `kubectl -n {} create secret generic {name} --from-file={}=FILE`, or export with --include-secrets",
                    translation.namespace,
                    kube::spec::CONTENT_KEY
                ))
            );
        }
        let yaml = serde_saphyr::to_string(&body)
            .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
        text.push_str("---\n");
        text.push_str(&yaml);
    }
    match output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| Failure::new(exit::FAILURE, format!("writing {}: {e}", path.display()))),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}
