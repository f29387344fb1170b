//! `windflow template`: the server's template catalog — list, show, deploy as a stack.

use std::collections::BTreeMap;

use clap::Subcommand;
use windflow_protocol::{
    DeployTemplateRequest, SizeRequest, TemplateDeployment, TemplateDetail, TemplateSummary,
};

use super::ServerArgs;
use super::commands::{connect, segment};
use crate::failure::Failure;
use crate::render::print_json;
use crate::{Global, Output, exit};

type Result<T> = std::result::Result<T, Failure>;

#[derive(Subcommand, Debug)]
pub enum TemplateCommand {
    /// List the catalog (built-in templates, then the server's catalog sources').
    Ls {
        /// Search in names, ids, descriptions and tags.
        query: Option<String>,
        /// Only this category.
        #[arg(long)]
        category: Option<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Show a template: its inputs, sizes, the advisor's findings and (with --compose) its
    /// compose file. TEMPLATE is `id` (built-in) or `source/id`.
    Show {
        template: String,
        /// Print the compose file too.
        #[arg(long)]
        compose: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Deploy a template as a new stack: `windflow template deploy redis --stack cache
    /// --target local --size small --set REDIS_MAXMEMORY_POLICY=allkeys-lru --deploy`.
    Deploy {
        template: String,
        /// The new stack's name.
        #[arg(long)]
        stack: String,
        /// The target to size for (its capacity is checked) and, with --deploy, to deploy onto.
        #[arg(long)]
        target: Option<String>,
        /// small (default), medium or large.
        #[arg(long)]
        size: Option<String>,
        /// Explicit CPUs (with --memory).
        #[arg(long)]
        cpus: Option<f64>,
        /// Explicit memory (`512MiB`, with --cpus).
        #[arg(long)]
        memory: Option<String>,
        /// Explicit disk (`10GiB`).
        #[arg(long)]
        disk: Option<String>,
        /// An input value, NAME=VALUE (repeatable). Secrets left out are generated.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        values: Vec<String>,
        /// Also start a deployment onto --target.
        #[arg(long, requires = "target")]
        deploy: bool,
        /// Resolve, size and check only: create nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
}

/// `id` → (`builtin`, id); `source/id` → (source, id).
fn template_ref(text: &str) -> (String, String) {
    match text.split_once('/') {
        Some((source, id)) => (source.to_string(), id.to_string()),
        None => ("builtin".to_string(), text.to_string()),
    }
}

fn parse_values(values: &[String]) -> Result<BTreeMap<String, String>> {
    values
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .ok_or_else(|| {
                    Failure::new(exit::USAGE, format!("--set {pair:?}: expected NAME=VALUE"))
                })
        })
        .collect()
}

pub async fn template(g: &Global, command: &TemplateCommand) -> Result<()> {
    match command {
        TemplateCommand::Ls {
            query,
            category,
            server,
        } => {
            let s = connect(server)?;
            let mut request = s
                .client
                .request(reqwest::Method::GET, &s.org_path("/templates"));
            if let Some(q) = query {
                request = request.query(&[("q", q)]);
            }
            if let Some(c) = category {
                request = request.query(&[("category", c)]);
            }
            let list: Vec<TemplateSummary> = s.client.call(request).await?;
            if g.output == Output::Json {
                print_json(&list);
                return Ok(());
            }
            if list.is_empty() {
                println!("no template matches");
            }
            for t in &list {
                let name = if t.source == "builtin" {
                    t.id.clone()
                } else {
                    format!("{}/{}", t.source, t.id)
                };
                println!(
                    "{name:<32} {:<10} {:<24} {}",
                    t.version,
                    t.categories.join(","),
                    t.description.lines().next().unwrap_or("")
                );
            }
            Ok(())
        }
        TemplateCommand::Show {
            template,
            compose,
            server,
        } => {
            let s = connect(server)?;
            let (source, id) = template_ref(template);
            let path = s.org_path(&format!("/templates/{}/{}", segment(&source), segment(&id)));
            let t: TemplateDetail = s.client.get(&path).await?;
            if g.output == Output::Json {
                print_json(&t);
                return Ok(());
            }
            println!(
                "{} {} ({}/{})",
                t.summary.name, t.summary.version, source, id
            );
            println!("{}", t.summary.description);
            if let Some(doc) = &t.summary.documentation {
                println!("documentation: {doc}");
            }
            println!("\ninputs:");
            for i in &t.inputs {
                let mut how = Vec::new();
                if let Some(d) = &i.default {
                    how.push(format!("default {d}"));
                }
                if let Some(g) = &i.generate {
                    how.push(format!("generated ({g})"));
                }
                if let Some(f) = &i.formula {
                    how.push(format!("= {f}"));
                }
                if i.required && how.is_empty() {
                    how.push("required".into());
                }
                println!("  {:<28} {:<8} {}", i.name, i.kind, how.join(", "));
            }
            println!("\nsizes:");
            for size in &t.sizes {
                println!(
                    "  {:<7} {} CPU, {} MiB memory, {} GiB disk",
                    size.class,
                    size.cpus,
                    size.memory_bytes >> 20,
                    size.disk_bytes >> 30
                );
            }
            if !t.advice.is_empty() {
                println!("\nadvisor:");
                for a in &t.advice {
                    let line = a.line.map(|l| format!(":{l}")).unwrap_or_default();
                    println!("  {}{line} {}[{}] {}", id, a.severity, a.rule, a.message);
                }
            }
            if *compose {
                println!("\n{}", t.compose);
            }
            Ok(())
        }
        TemplateCommand::Deploy {
            template,
            stack,
            target,
            size,
            cpus,
            memory,
            disk,
            values,
            deploy,
            dry_run,
            server,
        } => {
            let s = connect(server)?;
            let (source, id) = template_ref(template);
            let request = DeployTemplateRequest {
                stack: stack.clone(),
                description: String::new(),
                target: target.clone(),
                size: SizeRequest {
                    class: size.clone(),
                    cpus: *cpus,
                    memory: memory.clone(),
                    disk: disk.clone(),
                },
                values: parse_values(values)?,
                deploy: *deploy,
                dry_run: *dry_run,
            };
            let path = s.org_path(&format!(
                "/templates/{}/{}/deploy",
                segment(&source),
                segment(&id)
            ));
            let out: TemplateDeployment = s.client.post(&path, &request).await?;
            if g.output == Output::Json {
                print_json(&out);
                return Ok(());
            }
            println!(
                "{} stack {} from {} {} (size {}: {} CPU, {} MiB)",
                if out.dry_run {
                    "would create"
                } else {
                    "created"
                },
                out.stack,
                out.template.id,
                out.template.version,
                out.size.class,
                out.size.cpus,
                out.size.memory_bytes >> 20
            );
            for input in &out.inputs {
                let value = if input.secret {
                    "(secret)".to_string()
                } else {
                    input.value.clone().unwrap_or_default()
                };
                let why = input
                    .why
                    .as_ref()
                    .map(|w| format!("  [{w}]"))
                    .unwrap_or_default();
                println!("  {:<28} {:<10} {value}{why}", input.name, input.origin);
            }
            for w in &out.warnings {
                eprintln!("{}", crate::render::warning_text(w));
            }
            for a in &out.advice {
                let line = a.line.map(|l| format!("line {l}: ")).unwrap_or_default();
                println!("  advisor {}[{}]: {line}{}", a.severity, a.rule, a.message);
            }
            if let Some(deployment) = &out.deployment {
                println!("deployment {deployment} queued: windflow deployments {deployment}");
            }
            Ok(())
        }
    }
}
