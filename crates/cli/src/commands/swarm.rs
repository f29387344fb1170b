//! `--mode swarm`: the direct verbs on a Swarm manager — the stack becomes Swarm services
//! (`windflow_engine::swarm`), with the same plan, events, exit codes and history as the
//! container path.

use windflow_engine::driver::Driver;
use windflow_engine::swarm;

use super::{
    Failure, Result, driver, load_stack, print_plan, print_up_outcome, project_name, up_options,
    with_events,
};
use crate::render::{self, print_json};
use crate::{Global, Output, UpArgs, exit};

fn unsupported_flags(args: &UpArgs) -> Result<()> {
    let flag = if args.force_recreate {
        Some("--force-recreate")
    } else if args.no_recreate {
        Some("--no-recreate")
    } else if args.keep_orphans {
        Some("--keep-orphans")
    } else {
        None
    };
    match flag {
        Some(flag) => Err(Failure::new(
            exit::USAGE,
            format!("{flag} does not apply to --mode swarm (Swarm replaces tasks itself)"),
        )),
        None => Ok(()),
    }
}

pub(super) async fn plan(g: &Global, args: &UpArgs) -> Result<()> {
    unsupported_flags(args)?;
    let stack = load_stack(g)?.stack;
    let driver = driver(g)?;
    let plan = swarm::plan(&driver, &stack).await?;
    print_plan(
        g,
        &stack.name,
        &plan,
        &plan.warnings,
        plan.is_empty(),
        plan.describe(),
    );
    Ok(())
}

pub(super) async fn up(g: &Global, args: &UpArgs) -> Result<()> {
    unsupported_flags(args)?;
    let stack = load_stack(g)?.stack;
    let project = stack.name.clone();
    let driver = driver(g)?;
    let history = swarm::history_for(driver.endpoint());
    let options = up_options(args, "up --mode swarm");
    let outcome = with_events(g, |events| async move {
        swarm::up(&driver, &stack, &history, &options, &events).await
    })
    .await?;
    print_up_outcome(g, &project, " on the Swarm", &outcome);
    Ok(())
}

pub(super) async fn down(g: &Global) -> Result<()> {
    let project = project_name(g)?;
    let driver = driver(g)?;
    let plan = with_events(g, |events| {
        let (driver, project) = (&driver, &project);
        async move { swarm::down(driver, project, &events).await }
    })
    .await?;
    if g.output == Output::Text {
        if plan.is_empty() {
            println!("{project}: nothing to remove");
        } else {
            println!("{project} removed from the Swarm");
        }
    }
    Ok(())
}

pub(super) async fn ps(g: &Global) -> Result<()> {
    let project = project_name(g)?;
    let driver = driver(g)?;
    let services = swarm::services(&driver, &project).await?;
    if g.output == Output::Json {
        print_json(&services);
        return Ok(());
    }
    let mut table = render::table([
        "NAME", "SERVICE", "MODE", "REPLICAS", "VERSION", "UPDATE", "PORTS",
    ]);
    for s in &services {
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
    for s in &services {
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
    Ok(())
}
