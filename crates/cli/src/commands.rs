//! One function per verb: load what the verb needs, call the engine, print the result.

use std::time::Duration;

use clap::CommandFactory;
use serde_json::json;
use windflow_compose::{Loaded, load};
use windflow_domain::plan::PlanOptions;
use windflow_engine::deploy::{self, Orchestrator, ProjectStatus, UpOptions};
use windflow_engine::docker::DockerDriver;
use windflow_engine::driver::Driver;
use windflow_engine::events::EventSink;
use windflow_engine::executor::ExecuteOptions;
use windflow_engine::history::{History, RevisionOutcome};

use crate::failure::Failure;
use crate::render::{self, Mode, print_json, warning_text};
use crate::{Cli, Command, Global, Output, UpArgs, exit};

type Result<T> = std::result::Result<T, Failure>;

pub async fn run(cli: Cli) -> Result<()> {
    let g = &cli.global;
    match cli.command {
        Command::Validate => validate(g),
        Command::Advise { strict } => crate::advise::advise(g, strict),
        Command::Config => config(g),
        Command::Plan(args) => plan(g, &args).await,
        Command::Up(args) => up(g, &args).await,
        Command::Ps => ps(g).await,
        Command::Logs(args) if args.remote.stack.is_some() => crate::remote::logs(g, &args).await,
        Command::Logs(args) if g.mode == crate::DeployMode::Kubernetes => {
            let project = project_name(g)?;
            let target = crate::kube::connect(g, &project).await?;
            crate::kube::logs(g, &target, &project, &args).await
        }
        Command::Logs(args) => crate::logs::run(g, &driver(g)?, &project_name(g)?, &args).await,
        Command::Down { volumes } => down(g, volumes).await,
        Command::Restart { services, timeout } => restart(g, &services, timeout).await,
        Command::Rollback { to, remote, .. } if remote.stack.is_some() => {
            crate::remote::rollback(g, to, &remote).await
        }
        Command::Rollback {
            to, wait_timeout, ..
        } => rollback(g, to, wait_timeout).await,
        Command::History => history(g).await,
        Command::Ls if g.mode == crate::DeployMode::Kubernetes => crate::kube::ls(g).await,
        Command::Ls => ls(g).await,
        Command::Export {
            format: crate::kube::ExportFormat::Kubernetes,
            out,
            include_secrets,
        } => {
            let stack = load_stack(g)?.stack;
            let options = crate::kube::options(g, &stack.name);
            crate::kube::export(&stack, &options, out.as_ref(), include_secrets)
        }
        Command::Serve(_) => unreachable!("serve runs from main"),
        Command::Agent(_) => unreachable!("agent runs from main"),
        Command::Admin(command) => admin(command).await,
        Command::Openapi => {
            let doc = windflow_server::openapi();
            println!(
                "{}",
                doc.to_pretty_json()
                    .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?
            );
            Ok(())
        }
        Command::Login(args) => crate::remote::login(g, &args).await,
        Command::Logout => crate::remote::logout(g).await,
        Command::Stack(command) => crate::remote::stack(g, &command).await,
        Command::Domain(command) => crate::remote::domain(g, &command).await,
        Command::Cert(command) => crate::remote::cert(g, &command).await,
        Command::Dns(command) => crate::remote::dns(g, &command).await,
        Command::Sso(command) => crate::remote::sso(g, &command).await,
        Command::Deploy(args) => crate::remote::deploy(g, &args).await,
        Command::Deployments(args) => crate::remote::deployments(g, &args).await,
        Command::Backup(command) => crate::remote::backup(g, &command).await,
        Command::Workflow(command) => crate::remote::workflow(g, &command).await,
        Command::Ssh(command) => crate::ssh_trust::run(&command).await,
        Command::Template(command) => crate::remote::template(g, &command).await,
        Command::Ai(command) => crate::ai::run(g, &command).await,
        Command::Completion { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "windflow",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    }
}

fn load_stack(g: &Global) -> Result<Loaded> {
    let options = g.load_options();
    let loaded = load(&options).map_err(|e| Failure::new(exit::INVALID_STACK, e.to_string()))?;
    if g.output == Output::Text {
        for w in &loaded.warnings {
            eprintln!("{}", warning_text(&w.to_string()));
        }
    }
    Ok(loaded)
}

/// The project a file-less verb acts on: `-p`, else the compose file's.
fn project_name(g: &Global) -> Result<String> {
    match &g.project_name {
        Some(name) if windflow_domain::naming::is_valid_project_name(name) => Ok(name.clone()),
        Some(name) => Err(Failure::new(
            exit::USAGE,
            format!(
                "invalid project name {name:?}: use lowercase letters, digits, '-' and '_', starting with a letter or digit"
            ),
        )),
        None => Ok(load_stack(g)?.stack.name),
    }
}

fn driver(g: &Global) -> Result<DockerDriver> {
    Ok(DockerDriver::connect_with(&crate::connection::options(g)?)?)
}

/// The target in `--mode`, with the history of that mode's deployments of `project` there.
async fn target(g: &Global, project: &str) -> Result<(Orchestrator, History)> {
    if g.mode == crate::DeployMode::Kubernetes {
        let cluster = crate::kube::connect(g, project).await?;
        let history = mode(g).history_for(&crate::kube::endpoint(&cluster));
        return Ok((Orchestrator::Kubernetes(cluster), history));
    }
    let driver = driver(g)?;
    let history = mode(g).history_for(driver.endpoint());
    Ok((Orchestrator::on_docker(mode(g), driver), history))
}

/// `--mode kubernetes` refuses, with file and line, what the cluster cannot run.
fn check_stack(g: &Global, stack: &windflow_domain::StackSpec) -> Result<()> {
    if g.mode == crate::DeployMode::Kubernetes {
        crate::kube::check(stack, &crate::kube::options(g, &stack.name))?;
    }
    Ok(())
}

/// The deployment mode `--mode` asks for.
fn mode(g: &Global) -> deploy::DeployMode {
    g.mode.into()
}

/// " on the Swarm" (`preposition` + the mode's destination), or nothing.
fn place(g: &Global, preposition: &str) -> String {
    mode(g)
        .destination()
        .map(|d| format!(" {preposition} {d}"))
        .unwrap_or_default()
}

fn validate(g: &Global) -> Result<()> {
    let loaded = load_stack(g)?;
    let stack = &loaded.stack;
    if g.output == Output::Json {
        let warnings: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
        print_json(
            &json!({ "valid": true, "project": stack.name, "services": stack.services.keys().collect::<Vec<_>>(), "warnings": warnings }),
        );
    } else {
        let files: Vec<String> = stack
            .config_files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        println!(
            "{} is valid: project {}, {} service(s)",
            files.join(" + "),
            stack.name,
            stack.services.len()
        );
    }
    Ok(())
}

fn config(g: &Global) -> Result<()> {
    let stack = load_stack(g)?.stack;
    let project = windflow_compose::render::render(&stack);
    if g.output == Output::Json {
        print_json(&project);
    } else {
        let yaml = serde_saphyr::to_string(&project)
            .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
        print!("{yaml}");
    }
    Ok(())
}

fn plan_options(args: &UpArgs) -> PlanOptions {
    PlanOptions {
        force_recreate: args.force_recreate,
        no_recreate: args.no_recreate,
        build: args.build,
        pull_always: args.pull.as_deref() == Some("always"),
        keep_orphans: args.keep_orphans,
    }
}

/// Refuses the options the mode cannot honour (before anything is loaded).
fn check_options(g: &Global, args: &UpArgs) -> Result<()> {
    mode(g)
        .check(&plan_options(args))
        .map_err(|message| Failure::new(exit::USAGE, message))
}

async fn plan(g: &Global, args: &UpArgs) -> Result<()> {
    check_options(g, args)?;
    let stack = load_stack(g)?.stack;
    check_stack(g, &stack)?;
    let (target, _) = target(g, &stack.name).await?;
    let plan = deploy::plan(&target, &stack, &plan_options(args)).await?;
    print_plan(
        g,
        &stack.name,
        &plan,
        plan.warnings(),
        plan.is_empty(),
        plan.describe(),
    );
    Ok(())
}

/// A plan (of either mode) as JSON, or its warnings and one line per change.
fn print_plan(
    g: &Global,
    project: &str,
    plan: &impl serde::Serialize,
    warnings: &[String],
    empty: bool,
    lines: Vec<String>,
) {
    if g.output == Output::Json {
        print_json(plan);
        return;
    }
    for w in warnings {
        eprintln!("{}", warning_text(w));
    }
    if empty {
        println!("{project} is up to date: nothing to do");
    } else {
        for line in lines {
            println!("{line}");
        }
    }
}

/// Runs `work` with a renderer attached to its event sink.
async fn with_events<T, F>(g: &Global, work: impl FnOnce(EventSink) -> F) -> T
where
    F: Future<Output = T>,
{
    let (sink, receiver) = EventSink::channel();
    let renderer = tokio::spawn(render::render(
        Mode::choose(g.output == Output::Json, g.plain),
        receiver,
    ));
    let result = work(sink).await;
    let _ = renderer.await;
    result
}

/// A cancellation signal that turns on at the first Ctrl-C (the deployment then rolls back);
/// a second Ctrl-C exits at once.
fn cancel_on_ctrl_c() -> tokio::sync::watch::Receiver<bool> {
    let (sender, receiver) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "{}",
                warning_text(
                    "interrupted: stopping and restoring the previous version (Ctrl-C again to quit now)"
                )
            );
            let _ = sender.send(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    receiver
}

/// What `windflow up` asks of the engine. The history records it as the mode's own `up`.
fn up_options(args: &UpArgs) -> UpOptions {
    UpOptions {
        plan: plan_options(args),
        execute: ExecuteOptions {
            wait_timeout: Duration::from_secs(args.wait_timeout),
            rollback: !args.no_rollback,
            cancel: Some(cancel_on_ctrl_c()),
            ..Default::default()
        },
        source: String::new(),
    }
}

/// `shop deployed as version 3 (2 change(s))`, or that nothing changed. `place` follows
/// "deployed" (e.g. " on the Swarm").
fn print_up_outcome(g: &Global, project: &str, place: &str, outcome: &deploy::UpOutcome) {
    if g.output == Output::Text {
        match outcome.version {
            None => println!("{project} is up to date"),
            Some(v) => println!(
                "{project} deployed{place} as version {v} ({} change(s))",
                outcome.changes.len()
            ),
        }
    }
}

async fn up(g: &Global, args: &UpArgs) -> Result<()> {
    check_options(g, args)?;
    let stack = load_stack(g)?.stack;
    check_stack(g, &stack)?;
    let project = stack.name.clone();
    let (target, history) = target(g, &project).await?;
    let options = up_options(args);
    let outcome = with_events(g, |events| async move {
        deploy::up(&target, &stack, &history, &options, &events).await
    })
    .await?;
    print_up_outcome(g, &project, &place(g, "on"), &outcome);
    Ok(())
}

async fn down(g: &Global, volumes: bool) -> Result<()> {
    let project = project_name(g)?;
    let (target, _) = target(g, &project).await?;
    let plan = with_events(g, |events| {
        let (target, project) = (&target, &project);
        async move { deploy::down(target, project, volumes, &events).await }
    })
    .await?;
    if g.output == Output::Text {
        if plan.is_empty() {
            println!("{project}: nothing to remove");
        } else {
            println!("{project} removed{}", place(g, "from"));
        }
    }
    Ok(())
}

async fn ps(g: &Global) -> Result<()> {
    let project = project_name(g)?;
    let (target, _) = target(g, &project).await?;
    let status = deploy::status(&target, &project).await?;
    if g.output == Output::Json {
        print_json(&status);
        return Ok(());
    }
    match &status {
        ProjectStatus::Containers(containers) => print_containers(containers),
        ProjectStatus::Swarm(services) => print_swarm_services(services),
        ProjectStatus::Kubernetes(workloads) => crate::kube::print_workloads(workloads),
    }
    Ok(())
}

fn print_containers(containers: &[windflow_domain::observed::ObservedContainer]) {
    let mut table = render::table(["NAME", "SERVICE", "STATE", "STATUS", "VERSION", "PORTS"]);
    for c in containers {
        table.add_row([
            c.name.clone(),
            c.service.clone(),
            c.state.as_str().to_string(),
            c.status.clone(),
            c.stack_version
                .map_or_else(|| "-".into(), |v| format!("v{v}")),
            c.ports.join(", "),
        ]);
    }
    println!("{table}");
}

/// A Swarm project's services, then their tasks.
fn print_swarm_services(services: &[windflow_engine::swarm::ServiceStatus]) {
    let mut table = render::table([
        "NAME", "SERVICE", "MODE", "REPLICAS", "VERSION", "UPDATE", "PORTS",
    ]);
    for s in services {
        table.add_row([
            s.name.clone(),
            s.service.clone(),
            s.mode.clone(),
            format!("{}/{}", s.running, s.desired),
            s.stack_version
                .map_or_else(|| "-".into(), |v| format!("v{v}")),
            s.update_state.clone().unwrap_or_else(|| "-".into()),
            s.ports.join(", "),
        ]);
    }
    println!("{table}");
    let mut tasks = render::table(["TASK", "NODE", "DESIRED", "STATE", "ERROR"]);
    for s in services {
        for t in &s.tasks {
            tasks.add_row([
                match t.slot {
                    Some(slot) => format!("{}.{slot}", s.name),
                    None => s.name.clone(),
                },
                t.node.clone(),
                t.desired_state.clone(),
                t.state.clone(),
                t.error.clone().unwrap_or_default(),
            ]);
        }
    }
    println!("{tasks}");
}

async fn restart(g: &Global, services: &[String], timeout: Option<u64>) -> Result<()> {
    let project = project_name(g)?;
    if g.mode == crate::DeployMode::Kubernetes {
        let cluster = crate::kube::connect(g, &project).await?;
        return crate::kube::restart(g, &cluster, &project, services).await;
    }
    let driver = driver(g)?;
    let observed = driver.observe(&project, None).await?;
    for s in services {
        if !observed.containers.iter().any(|c| &c.service == s) {
            return Err(Failure::new(
                exit::FAILURE,
                format!("{project} has no service {s:?}"),
            ));
        }
    }
    let targets: Vec<_> = observed
        .containers
        .iter()
        .filter(|c| services.is_empty() || services.contains(&c.service))
        .collect();
    let timeout = timeout.map(Duration::from_secs);
    let results = futures::future::join_all(
        targets
            .iter()
            .map(|c| driver.restart_container(&c.id, timeout)),
    )
    .await;
    let mut failed = Vec::new();
    for (c, r) in targets.iter().zip(results) {
        match r {
            Ok(()) if g.output == Output::Text => println!("restarted {}", c.name),
            Ok(()) => {}
            Err(e) => failed.push(format!("{}: {e}", c.name)),
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(exit::FAILURE, failed.join("\n")))
    }
}

async fn rollback(g: &Global, to: Option<u64>, wait_timeout: u64) -> Result<()> {
    let project = project_name(g)?;
    let (target, history) = target(g, &project).await?;
    let options = UpOptions {
        execute: ExecuteOptions {
            wait_timeout: Duration::from_secs(wait_timeout),
            cancel: Some(cancel_on_ctrl_c()),
            ..Default::default()
        },
        ..Default::default()
    };
    let (target, outcome) = with_events(g, |events| {
        let (target, project, history, options) = (&target, &project, &history, &options);
        async move { deploy::rollback(target, project, to, history, options, &events).await }
    })
    .await?;
    if g.output == Output::Text {
        let place = place(g, "on");
        match outcome.version {
            Some(v) => println!(
                "{project} rolled back to v{}{place} (recorded as v{v})",
                target.version
            ),
            None => println!("{project} already runs v{}", target.version),
        }
    }
    Ok(())
}

async fn history(g: &Global) -> Result<()> {
    let project = project_name(g)?;
    let endpoint = if g.mode == crate::DeployMode::Kubernetes {
        crate::kube::endpoint(&crate::kube::connect(g, &project).await?)
    } else {
        DockerDriver::connect_with(&crate::connection::options(g)?)?
            .endpoint()
            .to_string()
    };
    let history = mode(g).history_for(&endpoint);
    let revisions = history
        .load(&project)
        .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
    if g.output == Output::Json {
        print_json(&revisions);
        return Ok(());
    }
    if revisions.is_empty() {
        println!("{project} has no deployment history on {endpoint}");
        return Ok(());
    }
    let mut table = render::table([
        "VERSION", "DEPLOYED", "STATUS", "SOURCE", "SERVICES", "CHANGES",
    ]);
    for r in &revisions {
        let status = match &r.outcome {
            RevisionOutcome::Deployed => "deployed".to_string(),
            RevisionOutcome::Failed { restored: true, .. } => "failed (restored)".to_string(),
            RevisionOutcome::Failed {
                restored: false, ..
            } => "failed".to_string(),
        };
        table.add_row([
            format!("v{}", r.version),
            format_time(r.deployed_at),
            status,
            r.source.clone(),
            r.stack.services.len().to_string(),
            r.changes.len().to_string(),
        ]);
    }
    println!("{table}");
    Ok(())
}

async fn ls(g: &Global) -> Result<()> {
    let driver = driver(g)?;
    let projects = driver.list_projects().await?;
    if g.output == Output::Json {
        print_json(&projects);
        return Ok(());
    }
    let mut table = render::table(["NAME", "STATUS", "WORKING DIR"]);
    for p in projects {
        table.add_row([
            p.name,
            format!("running({}/{})", p.running, p.containers),
            p.working_dir.unwrap_or_default(),
        ]);
    }
    println!("{table}");
    Ok(())
}

/// `YYYY-MM-DD HH:MM:SS` UTC, without a date crate: days from the civil calendar algorithm.
fn format_time(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// `windflow admin …`.
async fn admin(command: crate::AdminCommand) -> Result<()> {
    let failure = |e: anyhow::Error| Failure::new(exit::FAILURE, format!("{e:#}"));
    let config = |args: Box<windflow_server::ServeArgs>| {
        windflow_server::ServeConfig::resolve(*args)
            .map_err(|e| Failure::new(exit::USAGE, format!("{e:#}")))
    };
    match command {
        crate::AdminCommand::ResetPassword { user, server } => {
            let config = config(server)?;
            let password = windflow_server::admin::reset_password(&config, user.as_deref())
                .await
                .map_err(failure)?;
            let user = user.as_deref().unwrap_or("admin");
            if std::env::var("WINDFLOW_ADMIN_PASSWORD").is_ok_and(|p| !p.is_empty()) {
                eprintln!("The password of {user} is now the one in WINDFLOW_ADMIN_PASSWORD.");
            } else {
                eprintln!("New password for {user} (shown once):");
                println!("{password}");
            }
            Ok(())
        }
        crate::AdminCommand::RotateSecretKey { server } => {
            let config = config(server)?;
            let count = windflow_server::admin::rotate_secret_key(&config)
                .await
                .map_err(failure)?;
            eprintln!(
                "Rotated the secrets key: {count} secret(s) re-encrypted; restart the server to use the new key."
            );
            Ok(())
        }
        crate::AdminCommand::Backup {
            out: output,
            passphrase_file,
            unencrypted,
            server,
        } => {
            use windflow_server::admin::backup;
            let config = config(server)?;
            let passphrase = if unencrypted {
                None
            } else {
                backup::read_passphrase(passphrase_file.as_deref()).map_err(failure)?
            };
            if unencrypted {
                eprintln!(
                    "{}",
                    warning_text(
                        "writing the backup unencrypted: it holds the secrets keyring, so \
                         whoever reads it can decrypt every secret"
                    )
                );
            }
            let summary = backup::backup(
                &config,
                backup::BackupOptions {
                    output,
                    passphrase,
                    unencrypted,
                },
            )
            .await
            .map_err(failure)?;
            let m = &summary.manifest;
            eprintln!(
                "Backed up the {} database (schema {}) and the keyring to {} ({}).",
                m.backend,
                m.schema_version,
                summary.output.display(),
                if summary.encrypted {
                    "encrypted"
                } else {
                    "NOT encrypted"
                }
            );
            for member in &m.members {
                eprintln!(
                    "  {}  {} bytes  sha256 {}",
                    member.path, member.size, member.sha256
                );
            }
            Ok(())
        }
        crate::AdminCommand::Restore {
            input,
            passphrase_file,
            force,
            server,
        } => {
            use windflow_server::admin::backup;
            let config = config(server)?;
            let passphrase =
                backup::read_passphrase(passphrase_file.as_deref()).map_err(failure)?;
            let summary = backup::restore(
                &config,
                backup::RestoreOptions {
                    input,
                    passphrase,
                    force,
                },
            )
            .await
            .map_err(failure)?;
            let m = &summary.manifest;
            eprintln!(
                "Restored the backup of {} (WindFlow {}, {} schema {}{}):",
                m.created_at,
                m.windflow_version,
                m.backend,
                m.schema_version,
                if summary.encrypted { ", encrypted" } else { "" }
            );
            eprintln!("  database  {}", summary.database);
            eprintln!("  keyring   {}", summary.keyring.display());
            for kept in &summary.kept {
                eprintln!("  kept the previous file as {}", kept.display());
            }
            eprintln!("Start the server with the same configuration.");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_utc_times() {
        assert_eq!(super::format_time(0), "1970-01-01 00:00:00");
        assert_eq!(super::format_time(1_763_683_200), "2025-11-21 00:00:00");
    }
}
