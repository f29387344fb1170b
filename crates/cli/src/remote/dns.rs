//! `windflow dns`: the DNS providers the server writes records through, their zones with
//! DNSSEC, and the records it created for deployed stacks with their health.

use std::io::Read;
use std::path::PathBuf;

use clap::Subcommand;
use reqwest::Method;
use windflow_protocol::{
    CreateDnsProviderRequest, DnsProvider, DnsRecord, DnsRecordHealth, DnsZone,
};

use super::ServerArgs;
use super::commands::{connect, format_time, segment};
use crate::failure::Failure;
use crate::render::{self, print_json};
use crate::{Global, Output, exit};

type Result<T> = std::result::Result<T, Failure>;

// Parsed once per run: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum DnsCommand {
    /// DNS providers: add (the server checks the credential first), list, remove.
    #[command(subcommand)]
    Provider(ProviderCommand),
    /// The DNS records WindFlow created for deployed stacks (the only ones it changes), with
    /// their health: whether the zone's authoritative servers serve them as written.
    Records {
        /// Ask the authoritative servers now instead of showing the last check (the server
        /// checks every 5 minutes).
        #[arg(long)]
        check: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// The providers' zones with their DNSSEC state and the DS records for the registrar.
    Zones {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// DNSSEC: `windflow dns dnssec enable example.com`.
    #[command(subcommand)]
    Dnssec(DnssecCommand),
}

#[derive(Subcommand, Debug)]
pub enum DnssecCommand {
    /// Turn signing on for a zone (PowerDNS; an RFC 2136 server must be set to sign by its
    /// operator, and the answer says how), then print the DS records for the registrar.
    Enable {
        zone: String,
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum ProviderCommand {
    /// Register a provider for zones:
    /// `windflow dns provider add knot --kind rfc2136 --zone example.com --server 192.0.2.53:53
    /// --key-name windflow --secret-file tsig.secret`.
    Add {
        name: String,
        /// rfc2136 (dynamic updates signed with TSIG) or powerdns (its HTTP API).
        #[arg(long)]
        kind: String,
        /// A zone WindFlow manages through the provider (repeat for more).
        #[arg(long = "zone", required = true, value_name = "ZONE")]
        zones: Vec<String>,
        /// rfc2136: the primary server's address (IP:PORT).
        #[arg(long, value_name = "ADDR")]
        server_address: Option<String>,
        /// rfc2136: the TSIG key's name.
        #[arg(long)]
        key_name: Option<String>,
        /// rfc2136: hmac-sha256 (default), hmac-sha384 or hmac-sha512.
        #[arg(long)]
        algorithm: Option<String>,
        /// powerdns: the API's base URL.
        #[arg(long, value_name = "URL")]
        api_url: Option<String>,
        /// powerdns: the server id in the API (default: localhost).
        #[arg(long)]
        server_id: Option<String>,
        /// A file holding the TSIG secret (base64) or the API key; `-` reads standard input.
        /// Without it: the environment variable WINDFLOW_DNS_SECRET.
        #[arg(long, value_name = "FILE")]
        secret_file: Option<PathBuf>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// List the providers and their zones (never a credential).
    Ls {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Remove a provider (refused while WindFlow holds records through it).
    Rm {
        name: String,
        #[command(flatten)]
        server: ServerArgs,
    },
}

fn read_secret(file: Option<&PathBuf>) -> Result<String> {
    let fail = |message: String| Failure::new(exit::FAILURE, message);
    let text = match file {
        Some(path) if path.as_os_str() == "-" => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| fail(format!("reading the secret from stdin: {e}")))?;
            text
        }
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| fail(format!("reading the secret from {}: {e}", path.display())))?,
        None => std::env::var("WINDFLOW_DNS_SECRET").map_err(|_| {
            fail("no secret: pass --secret-file FILE (or -) or set WINDFLOW_DNS_SECRET".into())
        })?,
    };
    Ok(text.trim().to_string())
}

pub async fn dns(g: &Global, command: &DnsCommand) -> Result<()> {
    match command {
        DnsCommand::Records { check, server } => {
            let s = connect(server)?;
            let path = s.org_path("/dns/records");
            let list: Vec<DnsRecord> = if *check {
                let path = s.org_path("/dns/records/check");
                s.client.call(s.client.request(Method::POST, &path)).await?
            } else {
                s.client.get(&path).await?
            };
            if g.output == Output::Json {
                print_json(&list);
                return Ok(());
            }
            let mut table = render::table([
                "NAME", "TYPE", "VALUES", "ZONE", "PROVIDER", "OWNER", "HEALTH", "CHECKED",
            ]);
            for r in &list {
                table.add_row([
                    r.name.clone(),
                    r.record_type.clone(),
                    r.values.join(", "),
                    r.zone.clone(),
                    r.provider.clone(),
                    r.owner.clone(),
                    health_text(r),
                    r.checked_at.as_ref().map(format_time).unwrap_or_default(),
                ]);
            }
            println!("{table}");
            Ok(())
        }
        DnsCommand::Zones { server } => {
            let s = connect(server)?;
            let list: Vec<DnsZone> = s.client.get(&s.org_path("/dns/zones")).await?;
            if g.output == Output::Json {
                print_json(&list);
                return Ok(());
            }
            let mut table = render::table(["PROVIDER", "ZONE", "DNSSEC", "KEYS", "DS"]);
            for z in &list {
                table.add_row([
                    z.provider.clone(),
                    z.zone.clone(),
                    dnssec_text(z),
                    keys_text(z),
                    z.ds_records.join("\n"),
                ]);
            }
            println!("{table}");
            Ok(())
        }
        DnsCommand::Dnssec(DnssecCommand::Enable { zone, server }) => {
            let s = connect(server)?;
            let path = s.org_path(&format!("/dns/zones/{}/dnssec", segment(zone)));
            let state: DnsZone = s.client.call(s.client.request(Method::POST, &path)).await?;
            if g.output == Output::Json {
                print_json(&state);
                return Ok(());
            }
            println!(
                "{} is signed ({}); give the registrar of {} this DS record:",
                state.zone,
                keys_text(&state),
                state.zone
            );
            for ds in &state.ds_records {
                println!("  {}. IN DS {ds}", state.zone);
            }
            Ok(())
        }
        DnsCommand::Provider(ProviderCommand::Ls { server }) => {
            let s = connect(server)?;
            let list: Vec<DnsProvider> = s.client.get(&s.org_path("/dns/providers")).await?;
            if g.output == Output::Json {
                print_json(&list);
                return Ok(());
            }
            let mut table = render::table(["NAME", "KIND", "ZONES", "SERVER", "CREATED"]);
            for p in &list {
                let at = match p.kind.as_str() {
                    "rfc2136" => format!(
                        "{} key {}",
                        p.server.clone().unwrap_or_default(),
                        p.key_name.clone().unwrap_or_default()
                    ),
                    _ => p.api_url.clone().unwrap_or_default(),
                };
                table.add_row([
                    p.name.clone(),
                    p.kind.clone(),
                    p.zones.join(", "),
                    at,
                    format_time(&p.created_at),
                ]);
            }
            println!("{table}");
            Ok(())
        }
        DnsCommand::Provider(ProviderCommand::Add {
            name,
            kind,
            zones,
            server_address,
            key_name,
            algorithm,
            api_url,
            server_id,
            secret_file,
            server,
        }) => {
            let secret = read_secret(secret_file.as_ref())?;
            let s = connect(server)?;
            let created: DnsProvider = s
                .client
                .post(
                    &s.org_path("/dns/providers"),
                    &CreateDnsProviderRequest {
                        name: name.clone(),
                        kind: kind.clone(),
                        zones: zones.clone(),
                        server: server_address.clone(),
                        key_name: key_name.clone(),
                        algorithm: algorithm.clone(),
                        api_url: api_url.clone(),
                        server_id: server_id.clone(),
                        secret,
                    },
                )
                .await?;
            if g.output == Output::Json {
                print_json(&created);
            } else {
                println!(
                    "added the {} provider {} for {}; domains of stacks deployed from now on get their records there",
                    created.kind,
                    created.name,
                    created.zones.join(", ")
                );
            }
            Ok(())
        }
        DnsCommand::Provider(ProviderCommand::Rm { name, server }) => {
            let s = connect(server)?;
            s.client
                .delete(&s.org_path(&format!("/dns/providers/{}", segment(name))))
                .await?;
            if g.output == Output::Json {
                print_json(&serde_json::json!({ "removed": name }));
            } else {
                println!("removed the DNS provider {name}");
            }
            Ok(())
        }
    }
}

fn health_text(record: &DnsRecord) -> String {
    let word = match record.health {
        DnsRecordHealth::InSync => "in sync",
        DnsRecordHealth::Mismatch => "MISMATCH",
        DnsRecordHealth::Unchecked => "unchecked",
    };
    match &record.health_detail {
        Some(detail) => format!("{word}: {detail}"),
        None => word.to_string(),
    }
}

fn dnssec_text(zone: &DnsZone) -> String {
    match &zone.error {
        Some(error) => format!("unknown: {error}"),
        None if zone.signed => "signed".to_string(),
        None => "unsigned".to_string(),
    }
}

/// `csk 12345 ECDSAP256SHA256` per key, with its next rollover when the server tells.
fn keys_text(zone: &DnsZone) -> String {
    zone.keys
        .iter()
        .map(|k| {
            let mut text = format!("{} {} {}", k.role, k.key_tag, k.algorithm_name);
            if !k.active {
                text.push_str(" (inactive)");
            }
            if let Some(at) = &k.next_rollover {
                text.push_str(&format!(", rolls over {}", format_time(at)));
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}
