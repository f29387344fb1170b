//! `windflow ssh trust ssh://user@host[:port]`: records an SSH host's key in known_hosts after
//! the user confirmed its fingerprint — interactively, or with `--fingerprint SHA256:…`
//! matching exactly. Never trusts blindly; never replaces a recorded key that changed.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use windflow_engine::connect::known_hosts::{self, HostKeyCheck, KnownHosts};
use windflow_engine::connect::ssh::{SshEndpoint, default_known_hosts, offered_host_key};

use crate::exit;
use crate::failure::Failure;

#[derive(Subcommand, Debug)]
pub enum SshCommand {
    /// Trust an SSH host's key: show its fingerprint and add it to known_hosts once confirmed.
    Trust(TrustArgs),
}

#[derive(Args, Debug)]
pub struct TrustArgs {
    /// The host, as given to -H: ssh://user@host[:port].
    pub url: String,
    /// The fingerprint you expect (`SHA256:…`, from `ssh-keygen -lf` on the host); without
    /// it, you are asked to confirm on the terminal.
    #[arg(long, value_name = "SHA256:…")]
    pub fingerprint: Option<String>,
    /// The known_hosts file to add to (default: ~/.ssh/known_hosts).
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,
}

pub async fn run(command: &SshCommand) -> Result<(), Failure> {
    let SshCommand::Trust(args) = command;
    let endpoint =
        SshEndpoint::parse(&args.url).map_err(|e| Failure::new(exit::USAGE, e.to_string()))?;
    let path = args.known_hosts.clone().unwrap_or_else(default_known_hosts);
    let key = offered_host_key(&endpoint)
        .await
        .map_err(|e| Failure::new(exit::UNREACHABLE, e.to_string()))?;
    let algorithm = key.algorithm().as_str().to_string();
    let fingerprint = known_hosts::fingerprint(&key);
    let host = format!("{}:{}", endpoint.host, endpoint.port);
    println!("{host} offers the host key {algorithm} {fingerprint}");
    let known = KnownHosts::load(&path)
        .map_err(|e| Failure::new(exit::FAILURE, format!("reading {}: {e}", path.display())))?;
    match known.check(&endpoint.host, endpoint.port, &key) {
        HostKeyCheck::Trusted { line } => {
            println!("already trusted ({}:{line})", path.display());
            return Ok(());
        }
        HostKeyCheck::Changed { line, recorded } => {
            return Err(Failure::new(
                exit::FAILURE,
                format!(
                    "THE HOST KEY HAS CHANGED: {}:{line} records {recorded} for {host}; not adding the new key — check with the host's administrator, then remove that line and run this again",
                    path.display()
                ),
            ));
        }
        HostKeyCheck::Revoked { line } => {
            return Err(Failure::new(
                exit::FAILURE,
                format!("{}:{line} marks this key @revoked", path.display()),
            ));
        }
        HostKeyCheck::Unknown => {}
    }
    match &args.fingerprint {
        Some(expected) if expected.trim() == fingerprint => {}
        Some(expected) => {
            return Err(Failure::new(
                exit::FAILURE,
                format!(
                    "fingerprint mismatch: you expected {}, the host offers {fingerprint}; nothing was trusted",
                    expected.trim()
                ),
            ));
        }
        None if std::io::stdin().is_terminal() => {
            print!(
                "Trust this key for {host}? Type 'yes' to add it to {}: ",
                path.display()
            );
            std::io::stdout().flush().ok();
            let mut answer = String::new();
            std::io::stdin().lock().read_line(&mut answer).ok();
            if answer.trim() != "yes" {
                return Err(Failure::new(exit::FAILURE, "not trusted"));
            }
        }
        None => {
            return Err(Failure::new(
                exit::USAGE,
                format!(
                    "not on a terminal: confirm the key with --fingerprint {fingerprint} after checking it on the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub)"
                ),
            ));
        }
    }
    known_hosts::append(&path, &endpoint.host, endpoint.port, &key)
        .map_err(|e| Failure::new(exit::FAILURE, format!("writing {}: {e}", path.display())))?;
    println!(
        "added {algorithm} {fingerprint} for {host} to {}",
        path.display()
    );
    Ok(())
}
