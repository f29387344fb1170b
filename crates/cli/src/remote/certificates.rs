//! `windflow cert`: the certificates the server's gateways serve — list, upload, renew,
//! remove. A private key goes up once and never comes back.

use std::path::PathBuf;

use clap::Subcommand;
use reqwest::Method;
use windflow_protocol::{Certificate, UploadCertificateRequest};

use super::ServerArgs;
use super::commands::{connect, format_time, segment};
use crate::failure::Failure;
use crate::render::{self, print_json};
use crate::{Global, Output, exit};

type Result<T> = std::result::Result<T, Failure>;

#[derive(Subcommand, Debug)]
pub enum CertCommand {
    /// List the organization's certificates with their names, expiry and renewal state.
    Ls {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Store a certificate under a name (what `x-windflow.tls` names): its chain, leaf
    /// first, and its private key, both PEM files.
    Upload {
        name: String,
        #[arg(long, value_name = "FILE")]
        chain: PathBuf,
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Renew an ACME certificate now (WindFlow renews it on its own at two thirds of its
    /// lifetime).
    Renew {
        name: String,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Delete a certificate.
    Rm {
        name: String,
        #[command(flatten)]
        server: ServerArgs,
    },
}

fn read(path: &PathBuf) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure::new(exit::USAGE, format!("{}: {e}", path.display())))
}

pub async fn cert(g: &Global, command: &CertCommand) -> Result<()> {
    match command {
        CertCommand::Ls { server } => {
            let s = connect(server)?;
            let list: Vec<Certificate> = s.client.get(&s.org_path("/certificates")).await?;
            if g.output == Output::Json {
                print_json(&list);
                return Ok(());
            }
            let mut table = render::table([
                "NAME",
                "SOURCE",
                "DOMAINS",
                "STATUS",
                "EXPIRES",
                "RENEWS",
                "LAST ERROR",
            ]);
            for c in &list {
                table.add_row([
                    c.name.clone(),
                    c.source.clone(),
                    c.domains.join(", "),
                    c.status.clone(),
                    format_time(&c.not_after),
                    c.renewal_at.as_ref().map(format_time).unwrap_or_default(),
                    c.renewal_error.clone().unwrap_or_default(),
                ]);
            }
            println!("{table}");
            Ok(())
        }
        CertCommand::Upload {
            name,
            chain,
            key,
            server,
        } => {
            let request = UploadCertificateRequest {
                chain_pem: read(chain)?,
                key_pem: read(key)?,
            };
            let s = connect(server)?;
            let path = s.org_path(&format!("/certificates/{}", segment(name)));
            let stored: Certificate = s
                .client
                .call(s.client.request(Method::PUT, &path).json(&request))
                .await?;
            if g.output == Output::Json {
                print_json(&stored);
            } else {
                println!(
                    "stored {name}: {} (expires {})",
                    stored.domains.join(", "),
                    format_time(&stored.not_after)
                );
            }
            Ok(())
        }
        CertCommand::Renew { name, server } => {
            let s = connect(server)?;
            let path = s.org_path(&format!("/certificates/{}/renew", segment(name)));
            let renewed: Certificate = s.client.call(s.client.request(Method::POST, &path)).await?;
            if g.output == Output::Json {
                print_json(&renewed);
            } else {
                println!(
                    "renewed {name}: serial {} valid until {}",
                    renewed.serial,
                    format_time(&renewed.not_after)
                );
            }
            Ok(())
        }
        CertCommand::Rm { name, server } => {
            let s = connect(server)?;
            s.client
                .delete(&s.org_path(&format!("/certificates/{}", segment(name))))
                .await?;
            if g.output == Output::Json {
                print_json(&serde_json::json!({ "deleted": name }));
            } else {
                println!("deleted certificate {name}");
            }
            Ok(())
        }
    }
}
