//! `windflow domain`: the domains of a stack's services on the server — the compose file's
//! (`x-windflow`) and the control plane's settings over them, per environment.

use clap::Subcommand;
use reqwest::Method;
use windflow_protocol::{ServiceDomains, SetDomainsRequest};

use super::ServerArgs;
use super::commands::{connect, format_time, segment};
use crate::failure::Failure;
use crate::render::{self, print_json};
use crate::{Global, Output};

type Result<T> = std::result::Result<T, Failure>;

#[derive(Subcommand, Debug)]
pub enum DomainCommand {
    /// List a stack's domains: the compose file's and the control plane's settings.
    Ls {
        stack: String,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Set a service's domains over its compose file's, for every environment or one:
    /// `windflow domain set shop web shop.example.com example.com/shop --env production`.
    Set {
        stack: String,
        service: String,
        /// Hosts, optionally with a path prefix (`example.com/api`).
        #[arg(required = true)]
        domains: Vec<String>,
        /// The container port (default: the compose file's, else the only one declared).
        #[arg(long)]
        port: Option<u16>,
        /// auto (ACME), off, or the name of a stored certificate (default: auto).
        #[arg(long)]
        tls: Option<String>,
        /// A path the gateway requests on each replica; one that does not answer 2xx is
        /// taken out of rotation (default: the compose file's, else none).
        #[arg(long, value_name = "PATH")]
        health: Option<String>,
        /// Only for this environment (default: every environment).
        #[arg(long = "env", value_name = "ENVIRONMENT")]
        environment: Option<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Remove a setting: the compose file's domains apply again.
    Rm {
        stack: String,
        service: String,
        #[arg(long = "env", value_name = "ENVIRONMENT")]
        environment: Option<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
}

pub async fn domain(g: &Global, command: &DomainCommand) -> Result<()> {
    match command {
        DomainCommand::Ls { stack, server } => {
            let s = connect(server)?;
            let list: Vec<ServiceDomains> = s
                .client
                .get(&s.org_path(&format!("/stacks/{}/domains", segment(stack))))
                .await?;
            if g.output == Output::Json {
                print_json(&list);
                return Ok(());
            }
            let mut table = render::table([
                "SERVICE",
                "DOMAINS",
                "PORT",
                "TLS",
                "ENVIRONMENT",
                "FROM",
                "UPDATED",
            ]);
            for d in &list {
                table.add_row([
                    d.service.clone(),
                    d.domains.join(", "),
                    d.port.to_string(),
                    d.tls.clone(),
                    d.environment.clone().unwrap_or_else(|| "all".into()),
                    d.source.clone(),
                    d.updated_at.as_ref().map(format_time).unwrap_or_default(),
                ]);
            }
            println!("{table}");
            Ok(())
        }
        DomainCommand::Set {
            stack,
            service,
            domains,
            port,
            tls,
            health,
            environment,
            server,
        } => {
            let s = connect(server)?;
            let path = s.org_path(&format!(
                "/stacks/{}/domains/{}",
                segment(stack),
                segment(service)
            ));
            let mut request = s
                .client
                .request(Method::PUT, &path)
                .json(&SetDomainsRequest {
                    domains: domains.clone(),
                    port: *port,
                    tls: tls.clone(),
                    health: health.clone(),
                });
            if let Some(env) = environment {
                request = request.query(&[("environment", env)]);
            }
            let set: ServiceDomains = s.client.call(request).await?;
            if g.output == Output::Json {
                print_json(&set);
            } else {
                println!(
                    "{stack}/{service} answers at {} (port {}, tls {}) in {}",
                    set.domains.join(", "),
                    set.port,
                    set.tls,
                    environment.as_deref().unwrap_or("every environment")
                );
                println!("deploy the stack for the change to reach its target's gateway");
            }
            Ok(())
        }
        DomainCommand::Rm {
            stack,
            service,
            environment,
            server,
        } => {
            let s = connect(server)?;
            let path = s.org_path(&format!(
                "/stacks/{}/domains/{}",
                segment(stack),
                segment(service)
            ));
            let mut request = s.client.request(Method::DELETE, &path);
            if let Some(env) = environment {
                request = request.query(&[("environment", env)]);
            }
            s.client.send(request).await?;
            if g.output == Output::Json {
                print_json(
                    &serde_json::json!({ "removed": { "stack": stack, "service": service } }),
                );
            } else {
                println!(
                    "removed the domains setting of {stack}/{service}; the compose file's apply"
                );
            }
            Ok(())
        }
    }
}
