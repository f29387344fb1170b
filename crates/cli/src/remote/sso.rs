//! Single sign-on: `windflow sso provider add|ls|rm` (server administrators), and
//! `windflow login <url> --sso <provider>`, a login in a browser that ends on a loopback port
//! this process listens on. The server redirects there with a one-time code (good once, for a
//! minute), which is exchanged for a personal API token.

use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use windflow_protocol::{
    CreatedToken, Role, SessionInfo, SsoCliExchangeRequest, SsoGroupMapping, SsoProvider,
    SsoProviderRequest,
};

use super::ServerArgs;
use super::client::Client;
use super::commands::{connect, segment};
use crate::failure::Failure;
use crate::render::{self, print_json};
use crate::{Global, Output, exit};

#[derive(Subcommand, Debug)]
pub enum SsoCommand {
    /// OpenID Connect providers (server administrators): add, list, remove.
    #[command(subcommand)]
    Provider(SsoProviderCommand),
}

#[derive(Subcommand, Debug)]
pub enum SsoProviderCommand {
    /// Add a provider: `windflow sso provider add corp --name "Corp SSO" --issuer
    /// https://id.example.com/realms/corp --client-id windflow --secret-file secret.txt
    /// --domain example.com --map developers=default:operator`. Prints the redirect URI to
    /// register at the provider.
    Add {
        slug: String,
        /// The button's text on the login page.
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "URL")]
        issuer: String,
        #[arg(long)]
        client_id: String,
        /// A file holding the client secret; `-` reads standard input. Without it: the
        /// environment variable WINDFLOW_SSO_CLIENT_SECRET (or no secret: a public client).
        #[arg(long, value_name = "FILE")]
        secret_file: Option<PathBuf>,
        /// A scope besides `openid` (repeat; default `email profile`).
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
        /// An email domain allowed to sign in (repeat; none: any).
        #[arg(long = "domain", value_name = "DOMAIN")]
        domains: Vec<String>,
        /// Do not create accounts for unknown identities.
        #[arg(long)]
        no_auto_provision: bool,
        /// The groups claim's name (default `groups`).
        #[arg(long, value_name = "CLAIM")]
        groups_claim: Option<String>,
        /// A group mapping GROUP=ORG:ROLE (repeat).
        #[arg(long = "map", value_name = "GROUP=ORG:ROLE")]
        mappings: Vec<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// List the providers (never a secret).
    Ls {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Remove a provider (its users stay).
    Rm {
        slug: String,
        #[command(flatten)]
        server: ServerArgs,
    },
}

/// `GROUP=ORG:ROLE`.
fn parse_mapping(text: &str) -> Result<SsoGroupMapping> {
    let usage = || {
        Failure::new(
            exit::USAGE,
            format!("--map {text:?}: expected GROUP=ORG:ROLE, e.g. developers=default:operator"),
        )
    };
    let (group, rest) = text.rsplit_once('=').ok_or_else(usage)?;
    let (org, role) = rest.split_once(':').ok_or_else(usage)?;
    let role = Role::ALL
        .into_iter()
        .find(|r| format!("{r:?}").eq_ignore_ascii_case(role))
        .ok_or_else(usage)?;
    if group.is_empty() || org.is_empty() {
        return Err(usage());
    }
    Ok(SsoGroupMapping {
        group: group.into(),
        org: org.into(),
        role,
    })
}

fn read_secret(file: Option<&PathBuf>) -> Result<Option<String>> {
    let fail = |message: String| Failure::new(exit::FAILURE, message);
    let text = match file {
        Some(path) if path.as_os_str() == "-" => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|e| fail(format!("reading the secret from stdin: {e}")))?;
            Some(text)
        }
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| fail(format!("reading the secret from {}: {e}", path.display())))?,
        ),
        None => std::env::var("WINDFLOW_SSO_CLIENT_SECRET").ok(),
    };
    Ok(text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()))
}

pub async fn sso(g: &Global, command: &SsoCommand) -> Result<()> {
    let SsoCommand::Provider(command) = command;
    match command {
        SsoProviderCommand::Add {
            slug,
            name,
            issuer,
            client_id,
            secret_file,
            scopes,
            domains,
            no_auto_provision,
            groups_claim,
            mappings,
            server,
        } => {
            let group_mappings = mappings
                .iter()
                .map(|m| parse_mapping(m))
                .collect::<Result<Vec<_>>>()?;
            let mut claims = windflow_protocol::SsoClaimMapping::default();
            if let Some(claim) = groups_claim {
                claims.groups = claim.clone();
            }
            let s = connect(server)?;
            let created: SsoProvider = s
                .client
                .post(
                    "/sso/providers",
                    &SsoProviderRequest {
                        slug: slug.clone(),
                        display_name: name.clone(),
                        issuer_url: issuer.clone(),
                        client_id: client_id.clone(),
                        client_secret: read_secret(secret_file.as_ref())?,
                        scopes: scopes.clone(),
                        allowed_domains: domains.clone(),
                        auto_provision: !no_auto_provision,
                        claims: Some(claims),
                        group_mappings,
                    },
                )
                .await?;
            if g.output == Output::Json {
                print_json(&created);
            } else {
                println!("Added {} ({})", created.slug, created.display_name);
                println!(
                    "Register this redirect URI at the provider: {}",
                    created.redirect_uri
                );
            }
            Ok(())
        }
        SsoProviderCommand::Ls { server } => {
            let s = connect(server)?;
            let list: Vec<SsoProvider> = s.client.get("/sso/providers").await?;
            if g.output == Output::Json {
                print_json(&list);
                return Ok(());
            }
            let mut table = render::table([
                "SLUG", "NAME", "ISSUER", "CLIENT", "DOMAINS", "AUTO", "MAPPINGS",
            ]);
            for p in &list {
                table.add_row([
                    p.slug.clone(),
                    p.display_name.clone(),
                    p.issuer_url.clone(),
                    p.client_id.clone(),
                    if p.allowed_domains.is_empty() {
                        "any".into()
                    } else {
                        p.allowed_domains.join(", ")
                    },
                    if p.auto_provision { "yes" } else { "no" }.into(),
                    p.group_mappings
                        .iter()
                        .map(|m| format!("{}={}:{:?}", m.group, m.org, m.role).to_lowercase())
                        .collect::<Vec<_>>()
                        .join("\n"),
                ]);
            }
            println!("{table}");
            Ok(())
        }
        SsoProviderCommand::Rm { slug, server } => {
            let s = connect(server)?;
            s.client
                .send(s.client.request(
                    reqwest::Method::DELETE,
                    &format!("/sso/providers/{}", segment(slug)),
                ))
                .await?;
            if g.output != Output::Json {
                println!("Removed {slug}");
            }
            Ok(())
        }
    }
}

type Result<T> = std::result::Result<T, Failure>;

/// How long the CLI waits for the browser to come back.
const WAIT: Duration = Duration::from_secs(300);

fn failure(message: impl Into<String>) -> Failure {
    Failure::new(exit::FAILURE, message.into())
}

/// Runs the browser login through `provider` on `server`; returns the session the token
/// belongs to, the token, and its name.
pub async fn login(
    server: &str,
    provider: &str,
    no_browser: bool,
) -> Result<(SessionInfo, CreatedToken, String)> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| failure(format!("listening on a loopback port: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| failure(e.to_string()))?
        .port();
    // A random path: only the redirect of this login is taken for it.
    let path = format!("/windflow-sso/{}", uuid::Uuid::new_v4().simple());
    let redirect = format!("http://127.0.0.1:{port}{path}");
    let mut start = reqwest::Url::parse(&format!(
        "{server}{}/auth/sso/{}/start",
        windflow_protocol::API_PREFIX,
        segment(provider)
    ))
    .map_err(|e| failure(format!("invalid server URL: {e}")))?;
    start
        .query_pairs_mut()
        .append_pair("cli_redirect", &redirect);
    eprintln!("Open this URL in a browser to sign in with {provider}:");
    eprintln!("  {start}");
    if !no_browser {
        open_browser(start.as_str());
    }
    let code = tokio::time::timeout(WAIT, wait_for_code(&listener, &path))
        .await
        .map_err(|_| failure("no sign-in came back within 5 minutes"))??;
    let token_name = format!("cli@{} (sso)", gethostname::gethostname().to_string_lossy());
    let anonymous = Client::new(server, None)?;
    let created: CreatedToken = anonymous
        .post(
            "/auth/sso/cli/token",
            &SsoCliExchangeRequest {
                code,
                name: Some(token_name.clone()),
            },
        )
        .await?;
    let client = Client::new(server, Some(created.secret.clone()))?;
    let session: SessionInfo = client.get("/auth/session").await?;
    Ok((session, created, token_name))
}

/// Tries the desktop's browser opener; the printed URL is the fallback.
fn open_browser(url: &str) {
    for opener in ["xdg-open", "open"] {
        if std::process::Command::new(opener)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .is_ok()
        {
            return;
        }
    }
}

/// Answers loopback requests until one for `path` carries `code` (or `error`).
async fn wait_for_code(listener: &TcpListener, path: &str) -> Result<String> {
    loop {
        let (mut stream, _) = listener
            .accept()
            .await
            .map_err(|e| failure(format!("loopback listener: {e}")))?;
        let mut buffer = vec![0u8; 8192];
        let mut read = 0;
        while read < buffer.len() {
            match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer[read..]))
                .await
            {
                Ok(Ok(0)) | Err(_) | Ok(Err(_)) => break,
                Ok(Ok(n)) => {
                    read += n;
                    if buffer[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
        let head = String::from_utf8_lossy(&buffer[..read]).to_string();
        let target = head
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("GET "))
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or_default()
            .to_string();
        let url = reqwest::Url::parse(&format!("http://127.0.0.1{target}")).ok();
        let Some(url) = url.filter(|u| u.path() == path) else {
            let _ = respond(&mut stream, 404, "Not a WindFlow sign-in.").await;
            continue;
        };
        let value = |key: &str| {
            url.query_pairs()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.to_string())
        };
        if let Some(error) = value("error") {
            let _ = respond(
                &mut stream,
                200,
                "The sign-in was refused. You can close this window.",
            )
            .await;
            return Err(failure(format!("the sign-in was refused: {error}")));
        }
        if let Some(code) = value("code").filter(|c| !c.is_empty()) {
            let _ = respond(
                &mut stream,
                200,
                "Signed in to WindFlow. You can close this window and return to the terminal.",
            )
            .await;
            return Ok(code);
        }
        let _ = respond(&mut stream, 400, "No code in this request.").await;
    }
}

async fn respond(
    stream: &mut tokio::net::TcpStream,
    status: u16,
    text: &str,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let body = format!("<!doctype html><meta charset=utf-8><title>WindFlow</title><p>{text}</p>");
    let answer = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/html; charset=utf-8\r\n\
         content-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(answer.as_bytes()).await?;
    stream.shutdown().await
}
