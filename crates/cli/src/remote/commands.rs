//! One function per server verb: resolve the server and token, call the API, print.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::StreamExt;
use owo_colors::OwoColorize;
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;
use windflow_engine::events::{Event, EventKind};
use windflow_protocol::{
    ApiToken, CSRF_HEADER, CreateDeploymentRequest, CreateStackRequest, CreateTokenRequest,
    CreatedToken, Deployment, DeploymentEvent, DeploymentKind, DeploymentState, IDEMPOTENCY_HEADER,
    LogLine, LoginRequest, Page, Problem, RollbackRequest, SECOND_FACTOR_REQUIRED, SessionInfo,
    Stack, StackDetail, StackDiff, StackVersion, StackVersionSummary, UpdateStackRequest,
};

use super::client::{ApiError, Client};
use super::credentials::{self, Credentials, TOKEN_ENV};
use super::{DeployArgs, DeploymentsArgs, LoginArgs, OnServer, ServerArgs, StackCommand};
use crate::failure::Failure;
use crate::render::{self, Mode, print_json, warning_text};
use crate::{Global, LogsArgs, Output, exit};

type Result<T> = std::result::Result<T, Failure>;

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        let code = match &e {
            ApiError::Connect { .. } => exit::UNREACHABLE,
            ApiError::Problem(p) if p.status == 503 => exit::UNREACHABLE,
            _ => exit::FAILURE,
        };
        Failure::new(code, e.to_string())
    }
}

/// A server, a token and an organization, resolved from flags, environment and the
/// credentials file.
pub(super) struct Session {
    pub(super) client: Client,
    pub(super) org: String,
}

impl Session {
    pub(super) fn org_path(&self, rest: &str) -> String {
        format!("/orgs/{}{rest}", segment(&self.org))
    }
}

pub(super) fn connect(args: &ServerArgs) -> Result<Session> {
    let stored = match credentials::path() {
        Some(path) => {
            credentials::load(&path).map_err(|e| Failure::new(exit::FAILURE, format!("{e:#}")))?
        }
        None => None,
    };
    let server = match args.server.as_deref().filter(|s| !s.is_empty()) {
        Some(url) => normalize_url(url)?,
        None => match &stored {
            Some(c) => c.server.clone(),
            None => {
                return Err(Failure::new(
                    exit::FAILURE,
                    "not logged in: run `windflow login <url>` (or set WINDFLOW_SERVER and WINDFLOW_TOKEN)",
                ));
            }
        },
    };
    // The stored login counts only for the server it was made on.
    let stored = stored.filter(|c| c.server == server);
    let token = std::env::var(TOKEN_ENV)
        .ok()
        .filter(|t| !t.is_empty())
        .or_else(|| stored.as_ref().map(|c| c.token.clone()));
    let Some(token) = token else {
        return Err(Failure::new(
            exit::FAILURE,
            format!("no token for {server}: run `windflow login {server}` (or set {TOKEN_ENV})"),
        ));
    };
    let org = args
        .org
        .clone()
        .filter(|o| !o.is_empty())
        .or_else(|| stored.map(|c| c.org))
        .unwrap_or_else(|| "default".into());
    Ok(Session {
        client: Client::new(&server, Some(token))?,
        org,
    })
}

/// `host:8080` → `http://host:8080`; no trailing slash.
fn normalize_url(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    let url = if url.contains("://") {
        url.to_string()
    } else {
        format!("http://{url}")
    };
    match reqwest::Url::parse(&url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
            Ok(url)
        }
        _ => Err(Failure::new(
            exit::USAGE,
            format!("invalid server URL {url:?}: use http://host:port"),
        )),
    }
}

/// A URL path segment: everything but unreserved characters percent-encoded.
pub(super) fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn print_json_line(value: &impl Serialize) {
    println!("{}", serde_json::to_string(value).unwrap_or_default());
}

pub(super) fn format_time(at: &time::OffsetDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

// ---- login / logout ------------------------------------------------------------------

pub async fn login(g: &Global, args: &LoginArgs) -> Result<()> {
    let server = normalize_url(&args.url)?;
    let (session, created, token_name) = match &args.sso {
        Some(provider) => super::sso::login(&server, provider, args.no_browser).await?,
        None => password_login(&server, args).await?,
    };
    let org = match &args.org {
        Some(org) => org.clone(),
        None => default_org(&session),
    };
    let path = credentials::path().ok_or_else(|| {
        Failure::new(
            exit::FAILURE,
            "no configuration directory (set XDG_CONFIG_HOME or HOME)",
        )
    })?;
    credentials::save(
        &path,
        &Credentials {
            server: server.clone(),
            token: created.secret,
            token_id: Some(created.token.id),
            username: session.user.username.clone(),
            org: org.clone(),
        },
    )
    .map_err(|e| Failure::new(exit::FAILURE, format!("{e:#}")))?;
    if g.output == Output::Json {
        let mut session = session;
        session.csrf_token = None;
        print_json(&session);
    } else {
        let role = session
            .organizations
            .iter()
            .find(|m| m.organization.slug == org)
            .map(|m| format!("{:?}", m.role).to_lowercase());
        println!(
            "Logged in to {server} as {}{} — organization {org}{}",
            session.user.username,
            if session.user.is_admin {
                " (server administrator)"
            } else {
                ""
            },
            role.map(|r| format!(" as {r}")).unwrap_or_default()
        );
        println!("Token {token_name} saved in {}", path.display());
    }
    Ok(())
}

/// A password login: a browser session, a personal token made with it, the session ended.
async fn password_login(
    server: &str,
    args: &LoginArgs,
) -> Result<(SessionInfo, CreatedToken, String)> {
    let server = server.to_string();
    let username = match &args.username {
        Some(name) => name.clone(),
        None => prompt_username()?,
    };
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| {
            Failure::new(
                exit::FAILURE,
                format!("reading the password from stdin: {e}"),
            )
        })?;
        line.trim_end_matches(['\n', '\r']).to_string()
    } else {
        rpassword::prompt_password(format!("Password for {username} at {server}: ")).map_err(
            |e| {
                Failure::new(
                    exit::USAGE,
                    format!("cannot ask for the password ({e}): use --password-stdin"),
                )
            },
        )?
    };
    let client = Client::with_cookies(&server)?;
    let mut request = LoginRequest {
        username: username.clone(),
        password,
        code: args.code.clone(),
    };
    let session: SessionInfo = loop {
        match client.post("/auth/login", &request).await {
            Ok(session) => break session,
            // The account has a second factor: ask for a code once, unless one was given.
            Err(ApiError::Problem(p))
                if p.kind == SECOND_FACTOR_REQUIRED && request.code.is_none() =>
            {
                request.code = Some(prompt_code(&username)?);
            }
            Err(ApiError::Problem(p)) if p.kind == SECOND_FACTOR_REQUIRED => {
                return Err(Failure::new(
                    exit::FAILURE,
                    format!(
                        "{server} refused the second factor: {}",
                        p.detail.as_deref().unwrap_or("wrong code")
                    ),
                ));
            }
            Err(e) if e.status() == Some(401) => {
                return Err(Failure::new(
                    exit::FAILURE,
                    format!("{server} refused the login: wrong user name or password"),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    };
    let csrf = session.csrf_token.clone().unwrap_or_default();
    let token_name = format!("cli@{}", gethostname::gethostname().to_string_lossy());
    let created: CreatedToken = client
        .call(
            client
                .request(Method::POST, "/auth/tokens")
                .header(CSRF_HEADER, &csrf)
                .json(&CreateTokenRequest {
                    name: token_name.clone(),
                    scopes: Vec::new(),
                    expires_in_days: None,
                }),
        )
        .await?;
    // The token replaces the browser session: end it.
    let _ = client
        .send(
            client
                .request(Method::POST, "/auth/logout")
                .header(CSRF_HEADER, &csrf),
        )
        .await;
    Ok((session, created, token_name))
}

/// Asks the terminal for a second-factor code (hidden, like a password).
fn prompt_code(username: &str) -> Result<String> {
    rpassword::prompt_password(format!(
        "Code from your authenticator app (or a recovery code) for {username}: "
    ))
    .map(|code| code.trim().to_string())
    .map_err(|e| {
        Failure::new(
            exit::USAGE,
            format!(
                "this account has a second factor and no code can be asked for ({e}): use --code"
            ),
        )
    })
}

fn prompt_username() -> Result<String> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::new(
            exit::USAGE,
            "no terminal to ask for the user name: pass --username",
        ));
    }
    eprint!("Username: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::new(exit::FAILURE, format!("reading the user name: {e}")))?;
    let name = line.trim().to_string();
    if name.is_empty() {
        return Err(Failure::new(exit::USAGE, "a user name is required"));
    }
    Ok(name)
}

/// `default` when the user belongs to it, else their first organization.
fn default_org(session: &SessionInfo) -> String {
    let slugs: Vec<&str> = session
        .organizations
        .iter()
        .map(|m| m.organization.slug.as_str())
        .collect();
    if slugs.contains(&"default") || slugs.is_empty() {
        "default".into()
    } else {
        slugs[0].to_string()
    }
}

pub async fn logout(g: &Global) -> Result<()> {
    let path = credentials::path()
        .ok_or_else(|| Failure::new(exit::FAILURE, "no configuration directory"))?;
    let stored =
        credentials::load(&path).map_err(|e| Failure::new(exit::FAILURE, format!("{e:#}")))?;
    let Some(stored) = stored else {
        if g.output == Output::Json {
            print_json_line(&serde_json::json!({ "logged_out": false }));
        } else {
            println!("Not logged in");
        }
        return Ok(());
    };
    let client = Client::new(&stored.server, Some(stored.token.clone()))?;
    let revoked = revoke_token(&client, &stored).await;
    if let Err(e) = &revoked {
        eprintln!(
            "{}",
            warning_text(&format!(
                "the token could not be revoked on the server ({e}); revoke it in the web console"
            ))
        );
    }
    credentials::delete(&path).map_err(|e| Failure::new(exit::FAILURE, format!("{e:#}")))?;
    if g.output == Output::Json {
        print_json_line(&serde_json::json!({
            "logged_out": true,
            "server": stored.server,
            "token_revoked": revoked.is_ok(),
        }));
    } else {
        println!("Logged out of {}", stored.server);
    }
    Ok(())
}

async fn revoke_token(client: &Client, stored: &Credentials) -> std::result::Result<(), ApiError> {
    let id = match &stored.token_id {
        Some(id) => id.clone(),
        None => {
            let tokens: Vec<ApiToken> = client.get("/auth/tokens").await?;
            let prefix: String = stored.token.chars().take(10).collect();
            tokens
                .into_iter()
                .find(|t| t.revoked_at.is_none() && t.prefix == prefix)
                .map(|t| t.id)
                .ok_or_else(|| ApiError::Other("no token of yours matches".into()))?
        }
    };
    client
        .delete(&format!("/auth/tokens/{}", segment(&id)))
        .await
}

// ---- stacks --------------------------------------------------------------------------

pub async fn stack(g: &Global, command: &StackCommand) -> Result<()> {
    match command {
        StackCommand::Push {
            file,
            name,
            message,
            if_version,
            server,
        } => {
            push(
                g,
                file.as_deref(),
                name,
                message.clone(),
                *if_version,
                server,
            )
            .await
        }
        StackCommand::Ls { server } => {
            let s = connect(server)?;
            let page: Page<Stack> = s
                .client
                .call(
                    s.client
                        .request(Method::GET, &s.org_path("/stacks"))
                        .query(&[("limit", 500)]),
                )
                .await?;
            if g.output == Output::Json {
                print_json(&page.items);
                return Ok(());
            }
            let mut table = render::table(["NAME", "VERSION", "RUNS ON", "UPDATED"]);
            for stack in &page.items {
                let runs_on: Vec<String> = stack
                    .deployed
                    .iter()
                    .map(|d| format!("{} (v{})", d.target, d.version))
                    .collect();
                table.add_row([
                    stack.name.clone(),
                    stack.version.to_string(),
                    runs_on.join(", "),
                    format_time(&stack.updated_at),
                ]);
            }
            println!("{table}");
            Ok(())
        }
        StackCommand::Show {
            name,
            version,
            server,
        } => {
            let s = connect(server)?;
            let base = s.org_path(&format!("/stacks/{}", segment(name)));
            if let Some(v) = version {
                let version: StackVersion = s.client.get(&format!("{base}/versions/{v}")).await?;
                if g.output == Output::Json {
                    print_json(&version);
                } else {
                    print!("{}", with_newline(&version.content));
                }
                return Ok(());
            }
            let detail: StackDetail = s.client.get(&base).await?;
            if g.output == Output::Json {
                print_json(&detail);
            } else {
                eprintln!(
                    "# {} version {} by {} at {}; services: {}",
                    detail.stack.name,
                    detail.current.version,
                    detail.current.author,
                    format_time(&detail.current.created_at),
                    detail.services.join(", ")
                );
                print!("{}", with_newline(&detail.current.content));
            }
            Ok(())
        }
        StackCommand::History { name, server } => {
            let s = connect(server)?;
            let page: Page<StackVersionSummary> = s
                .client
                .call(
                    s.client
                        .request(
                            Method::GET,
                            &s.org_path(&format!("/stacks/{}/versions", segment(name))),
                        )
                        .query(&[("limit", 500)]),
                )
                .await?;
            if g.output == Output::Json {
                print_json(&page.items);
                return Ok(());
            }
            let mut table = render::table(["VERSION", "AUTHOR", "CREATED", "MESSAGE"]);
            for v in &page.items {
                table.add_row([
                    v.version.to_string(),
                    v.author.clone(),
                    format_time(&v.created_at),
                    v.message.clone(),
                ]);
            }
            println!("{table}");
            Ok(())
        }
        StackCommand::Rm {
            name,
            undeploy,
            server,
        } => {
            let s = connect(server)?;
            let response = s
                .client
                .send(
                    s.client
                        .request(
                            Method::DELETE,
                            &s.org_path(&format!("/stacks/{}", segment(name))),
                        )
                        .query(&[("undeploy", undeploy)]),
                )
                .await?;
            if response.status() == reqwest::StatusCode::ACCEPTED {
                let removals: Vec<Deployment> =
                    response.json().await.map_err(|e| s.client.transport(e))?;
                if g.output == Output::Json {
                    print_json(&removals);
                } else {
                    for d in &removals {
                        println!("removing {name} from {} (deployment {})", d.target, d.id);
                    }
                    println!("{name} is deleted once these removals succeed");
                }
            } else if g.output == Output::Json {
                print_json(&serde_json::json!({ "deleted": name }));
            } else {
                println!("deleted {name} (its deployment history stays)");
            }
            Ok(())
        }
        StackCommand::Diff {
            name,
            from,
            to,
            server,
        } => {
            let s = connect(server)?;
            let diff: StackDiff = s
                .client
                .call(
                    s.client
                        .request(
                            Method::GET,
                            &s.org_path(&format!("/stacks/{}/diff", segment(name))),
                        )
                        .query(&[("from", from), ("to", to)]),
                )
                .await?;
            if g.output == Output::Json {
                print_json(&diff);
            } else {
                print!("{}", with_newline(&diff.unified));
            }
            Ok(())
        }
    }
}

fn with_newline(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    }
}

/// The compose file in the current directory, as compose looks for it.
fn default_compose_file() -> Result<PathBuf> {
    for name in [
        "compose.yaml",
        "compose.yml",
        "docker-compose.yaml",
        "docker-compose.yml",
    ] {
        if Path::new(name).is_file() {
            return Ok(PathBuf::from(name));
        }
    }
    Err(Failure::new(
        exit::USAGE,
        "no compose file here (compose.yaml, compose.yml, docker-compose.yml): pass -f FILE",
    ))
}

async fn push(
    g: &Global,
    file: Option<&Path>,
    name: &str,
    message: Option<String>,
    if_version: Option<i64>,
    server: &ServerArgs,
) -> Result<()> {
    let file = match file {
        Some(f) => f.to_path_buf(),
        None => default_compose_file()?,
    };
    let content = std::fs::read_to_string(&file).map_err(|e| {
        Failure::new(
            exit::INVALID_STACK,
            format!("reading {}: {e}", file.display()),
        )
    })?;
    let s = connect(server)?;
    let path = s.org_path(&format!("/stacks/{}", segment(name)));
    let existing = match s.client.get::<StackDetail>(&path).await {
        Ok(detail) => Some(detail),
        Err(e) if e.status() == Some(404) => None,
        Err(e) => return Err(e.into()),
    };
    let result: std::result::Result<StackDetail, ApiError> = match &existing {
        None if if_version.is_some() => {
            return Err(Failure::new(
                exit::FAILURE,
                format!("stack {name} does not exist on the server, so --if-version cannot match"),
            ));
        }
        None => {
            s.client
                .call(s.client.request(Method::POST, &s.org_path("/stacks")).json(
                    &CreateStackRequest {
                        name: name.to_string(),
                        description: String::new(),
                        content,
                        message,
                    },
                ))
                .await
        }
        Some(_) => {
            let mut request = s
                .client
                .request(Method::PUT, &path)
                .json(&UpdateStackRequest { content, message });
            if let Some(v) = if_version {
                request = request.header(reqwest::header::IF_MATCH, format!("\"{v}\""));
            }
            s.client.call(request).await
        }
    };
    let detail = match result {
        Ok(detail) => detail,
        Err(ApiError::Problem(problem)) if problem.status == 422 => {
            return Err(invalid_file(g, &file, &problem));
        }
        Err(e) => return Err(e.into()),
    };
    if g.output == Output::Json {
        print_json(&detail);
    } else if existing.is_none() {
        println!(
            "created stack {} at version {} ({} service(s): {})",
            detail.stack.name,
            detail.current.version,
            detail.services.len(),
            detail.services.join(", ")
        );
    } else {
        println!(
            "pushed {} version {}",
            detail.stack.name, detail.current.version
        );
    }
    Ok(())
}

/// A 422 on a push: every error as `file:line: field: message`, exit code 3.
fn invalid_file(g: &Global, file: &Path, problem: &Problem) -> Failure {
    if g.output == Output::Json {
        print_json(problem);
    }
    let file = file.display();
    if problem.errors.is_empty() {
        return Failure::new(
            exit::INVALID_STACK,
            format!(
                "{file}: {}",
                problem.detail.as_deref().unwrap_or(&problem.title)
            ),
        );
    }
    let lines: Vec<String> = problem
        .errors
        .iter()
        .map(|e| match e.line {
            Some(line) => format!("{file}:{line}: {}: {}", e.field, e.message),
            None => format!("{file}: {}: {}", e.field, e.message),
        })
        .collect();
    Failure::new(
        exit::INVALID_STACK,
        format!(
            "{file} is invalid; nothing was pushed:\n{}",
            lines.join("\n")
        ),
    )
}

// ---- deployments ---------------------------------------------------------------------

/// POSTs with an idempotency key; a request that may not have arrived is sent once more
/// with the same key, so it queues at most one deployment.
async fn post_idempotent(s: &Session, path: &str, body: &impl Serialize) -> Result<Deployment> {
    let key = uuid::Uuid::new_v4().to_string();
    let send = || {
        s.client.call::<Deployment>(
            s.client
                .request(Method::POST, path)
                .header(IDEMPOTENCY_HEADER, &key)
                .json(body),
        )
    };
    match send().await {
        Err(e) if e.is_connect() => {
            tracing::debug!(error = %e, "retrying with the same idempotency key");
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok(send().await?)
        }
        other => Ok(other?),
    }
}

pub async fn deploy(g: &Global, args: &DeployArgs) -> Result<()> {
    let s = connect(&args.server)?;
    let deployment = post_idempotent(
        &s,
        &s.org_path("/deployments"),
        &CreateDeploymentRequest {
            stack: args.stack.clone(),
            version: args.version,
            target: args.target.clone(),
            selector: (!args.selector.is_empty()).then(|| args.selector.iter().cloned().collect()),
            strategy: Default::default(),
            failover: args.failover,
            environment: args.environment.clone(),
            kind: None,
        },
    )
    .await?;
    if args.detach {
        if g.output == Output::Json {
            print_json(&deployment);
        } else {
            println!(
                "queued deployment {} of {} v{} to {}",
                deployment.id, deployment.stack, deployment.version, deployment.target
            );
        }
        return Ok(());
    }
    follow(g, &s, deployment).await
}

pub async fn rollback(g: &Global, to: Option<u64>, on: &OnServer) -> Result<()> {
    let (Some(stack), Some(target)) = (&on.stack, &on.target) else {
        return Err(Failure::new(exit::USAGE, "--stack needs --target"));
    };
    let s = connect(&on.server)?;
    let deployment = post_idempotent(
        &s,
        &s.org_path(&format!("/stacks/{}/rollback", segment(stack))),
        &RollbackRequest {
            target: target.clone(),
            version: to.map(|v| v as i64),
        },
    )
    .await?;
    follow(g, &s, deployment).await
}

pub async fn deployments(g: &Global, args: &DeploymentsArgs) -> Result<()> {
    let s = connect(&args.server)?;
    if let Some(id) = &args.id {
        let deployment: Deployment = s
            .client
            .get(&s.org_path(&format!("/deployments/{}", segment(id))))
            .await?;
        if args.follow {
            return follow(g, &s, deployment).await;
        }
        if g.output == Output::Json {
            print_json(&deployment);
        } else {
            show_deployment(&deployment);
        }
        return Ok(());
    }
    let mut query: Vec<(&str, String)> = vec![("limit", args.limit.to_string())];
    if let Some(stack) = &args.stack {
        query.push(("stack", stack.clone()));
    }
    if let Some(target) = &args.target {
        query.push(("target", target.clone()));
    }
    if let Some(state) = &args.state {
        if serde_json::from_value::<DeploymentState>(Value::String(state.clone())).is_err() {
            return Err(Failure::new(
                exit::USAGE,
                format!(
                    "invalid --state {state:?}: use queued, running, succeeded, failed, rolled_back or cancelled"
                ),
            ));
        }
        query.push(("state", state.clone()));
    }
    let page: Page<Deployment> = s
        .client
        .call(
            s.client
                .request(Method::GET, &s.org_path("/deployments"))
                .query(&query),
        )
        .await?;
    if g.output == Output::Json {
        print_json(&page.items);
        return Ok(());
    }
    let mut table = render::table([
        "ID", "STACK", "VERSION", "TARGET", "KIND", "STATE", "BY", "CREATED",
    ]);
    for d in &page.items {
        table.add_row([
            d.id.clone(),
            d.stack.clone(),
            d.version.to_string(),
            d.target.clone(),
            d.kind.as_str().to_string(),
            d.state.as_str().to_string(),
            d.requested_by.clone(),
            format_time(&d.created_at),
        ]);
    }
    println!("{table}");
    if page.total > page.items.len() as i64 {
        eprintln!(
            "({} of {}; --limit shows more)",
            page.items.len(),
            page.total
        );
    }
    Ok(())
}

fn show_deployment(d: &Deployment) {
    println!("deployment  {}", d.id);
    println!("kind        {}", d.kind.as_str());
    println!("stack       {} v{}", d.stack, d.version);
    match &d.environment {
        Some(env) => println!("target      {} (environment {env})", d.target),
        None => println!("target      {}", d.target),
    }
    println!(
        "state       {}{}",
        d.state.as_str(),
        if d.cancel_requested && !d.state.is_terminal() {
            " (cancel requested)"
        } else {
            ""
        }
    );
    println!(
        "requested   by {} at {}",
        d.requested_by,
        format_time(&d.created_at)
    );
    if let Some(at) = &d.started_at {
        println!("started     {}", format_time(at));
    }
    if let Some(at) = &d.finished_at {
        let took = d
            .started_at
            .map(|s| format!(" ({:.1}s)", (*at - s).as_seconds_f64()))
            .unwrap_or_default();
        println!("finished    {}{took}", format_time(at));
    }
    match &d.plan {
        Some(plan) if plan.is_empty() => println!("plan        nothing to change"),
        Some(plan) => {
            println!("plan");
            for line in plan {
                println!("  {line}");
            }
        }
        None => {}
    }
    if let Some(error) = &d.error {
        println!("error       {error}");
    }
}

/// How long the event stream may stay unreachable before `follow` gives up.
const RECONNECT_ATTEMPTS: u32 = 60;

/// Follows a deployment's events to its end, rendering them like `up`, and turns the final
/// state into the exit code. The first Ctrl-C asks the server to cancel (it rolls back) and
/// keeps following; a second one stops watching.
async fn follow(g: &Global, s: &Session, deployment: Deployment) -> Result<()> {
    let json = g.output == Output::Json;
    let mode = Mode::choose(json, g.plain);
    if !json {
        let verb = match deployment.kind {
            DeploymentKind::Rollback => "rolling back",
            DeploymentKind::Remove => "removing",
            DeploymentKind::Deploy => "deploying",
        };
        eprintln!(
            "{verb} {} v{} on {} (deployment {}, {})",
            deployment.stack,
            deployment.version,
            deployment.target,
            deployment.id,
            deployment.state.as_str()
        );
    }
    let (events, receiver) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let renderer = (!json).then(|| tokio::spawn(render::render(mode, receiver)));
    let warn = |message: String| {
        let _ = events.send(Event {
            at_ms: now_ms(),
            kind: EventKind::Warning { message },
        });
    };
    let mut interrupts = interrupts("the deployment");
    let mut cancel_sent = false;
    let stream_path = s.org_path(&format!(
        "/deployments/{}/events/stream",
        segment(&deployment.id)
    ));
    let mut last_seq: i64 = 0;
    let mut failures = 0u32;
    'connect: loop {
        let request = s
            .client
            .request(Method::GET, &stream_path)
            .query(&[("after", last_seq)]);
        let stream = match s.client.events(request).await {
            Ok(stream) => stream,
            Err(e) if e.is_connect() && failures < RECONNECT_ATTEMPTS => {
                failures += 1;
                if failures == 1 {
                    warn(format!("lost the server ({e}); reconnecting"));
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let mut stream = std::pin::pin!(stream);
        loop {
            tokio::select! {
                item = stream.next() => match item {
                    Some(Ok(event)) => {
                        failures = 0;
                        if event.event == "end" {
                            break 'connect;
                        }
                        if let Some(seq) = event.id.as_deref().and_then(|id| id.parse::<i64>().ok()) {
                            last_seq = last_seq.max(seq);
                        }
                        let Ok(record) = serde_json::from_str::<DeploymentEvent>(&event.data) else {
                            continue;
                        };
                        last_seq = last_seq.max(record.seq);
                        if json {
                            print_json_line(&record.data);
                            continue;
                        }
                        match record.data.get("event").and_then(Value::as_str) {
                            Some("state") => {
                                if record.data["state"] == "running" && record.data["resumed"] == true {
                                    warn(format!(
                                        "the server restarted: deployment resumed (attempt {})",
                                        record.data["attempt"]
                                    ));
                                }
                            }
                            Some("placement") => warn(format!(
                                "placed on target {}: {}",
                                record.data["target"].as_str().unwrap_or("?"),
                                record.data["reason"].as_str().unwrap_or("")
                            )),
                            Some("failover") => warn(match record.data["to"].as_str() {
                                Some(to) => format!(
                                    "target {} failed ({}); moving to {to}: {}",
                                    record.data["from"].as_str().unwrap_or("?"),
                                    record.data["error"].as_str().unwrap_or(""),
                                    record.data["reason"].as_str().unwrap_or("")
                                ),
                                None => format!(
                                    "target {} failed and no other target is eligible: {}",
                                    record.data["from"].as_str().unwrap_or("?"),
                                    record.data["reason"].as_str().unwrap_or("")
                                ),
                            }),
                            _ => {
                                if let Ok(engine_event) = serde_json::from_value::<Event>(record.data) {
                                    let _ = events.send(engine_event);
                                }
                            }
                        }
                    }
                    Some(Err(_)) | None => {
                        // The connection dropped before `end`: resume after the last event.
                        failures += 1;
                        if failures > RECONNECT_ATTEMPTS {
                            return Err(Failure::new(
                                exit::UNREACHABLE,
                                format!(
                                    "lost the event stream of deployment {}; see `windflow deployments {}`",
                                    deployment.id, deployment.id
                                ),
                            ));
                        }
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        continue 'connect;
                    }
                },
                Some(()) = interrupts.recv(), if !cancel_sent => {
                    cancel_sent = true;
                    warn("interrupted: asking the server to cancel (it restores the previous version); Ctrl-C again to stop watching".into());
                    let path = s.org_path(&format!("/deployments/{}/cancel", segment(&deployment.id)));
                    if let Err(e) = s.client.call::<Deployment>(s.client.request(Method::POST, &path)).await {
                        warn(format!("cancelling failed: {e}"));
                    }
                }
            }
        }
    }
    drop(events);
    if let Some(renderer) = renderer {
        let _ = renderer.await;
    }
    let last: Deployment = s
        .client
        .get(&s.org_path(&format!("/deployments/{}", segment(&deployment.id))))
        .await?;
    if json {
        print_json_line(&last);
    }
    outcome(g, &last)
}

fn outcome(g: &Global, d: &Deployment) -> Result<()> {
    let error = d.error.clone().unwrap_or_else(|| "no detail".into());
    let what = format!("{} v{} on {}", d.stack, d.version, d.target);
    match d.state {
        DeploymentState::Succeeded => {
            if g.output == Output::Text {
                match d.kind {
                    DeploymentKind::Deploy => println!("{what}: deployed"),
                    DeploymentKind::Rollback => println!("{what}: rolled back to this version"),
                    DeploymentKind::Remove => println!("{} removed from {}", d.stack, d.target),
                }
            }
            Ok(())
        }
        DeploymentState::RolledBack => Err(Failure::new(
            exit::DEPLOY_FAILED,
            format!("{what} failed: {error}\nthe previous version was restored"),
        )),
        DeploymentState::Failed => Err(Failure::new(
            exit::ROLLBACK_FAILED,
            format!("{what} failed: {error}"),
        )),
        DeploymentState::Cancelled => {
            Err(Failure::new(exit::FAILURE, format!("{what} was cancelled")))
        }
        DeploymentState::Queued | DeploymentState::Running => Err(Failure::new(
            exit::FAILURE,
            format!(
                "the event stream ended while deployment {} is still {}",
                d.id,
                d.state.as_str()
            ),
        )),
    }
}

/// Ctrl-C presses, as a channel: installing the handler keeps the first press from
/// killing the process; the second one exits at once, saying that `what` goes on.
pub(super) fn interrupts(what: &'static str) -> tokio::sync::mpsc::UnboundedReceiver<()> {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = sender.send(());
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("stopped watching; {what} goes on on the server");
                std::process::exit(130);
            }
        }
    });
    receiver
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

// ---- logs ----------------------------------------------------------------------------

/// `windflow logs --stack S --target T`: the server streams the containers' logs; lines are
/// printed with the same `service-1 |` prefixes and colours as local logs.
pub async fn logs(g: &Global, args: &LogsArgs) -> Result<()> {
    let on = &args.remote;
    let (Some(stack), Some(target)) = (&on.stack, &on.target) else {
        return Err(Failure::new(exit::USAGE, "--stack needs --target"));
    };
    let s = connect(&on.server)?;
    let mut query: Vec<(&str, String)> = vec![("target", target.clone())];
    if let [service] = args.services.as_slice() {
        query.push(("service", service.clone()));
    }
    if args.follow {
        query.push(("follow", "true".into()));
    }
    let tail = match args.tail.as_str() {
        // The server caps nothing; a huge tail is "everything".
        "all" | "-1" => 1_000_000_000,
        n => n
            .parse::<u64>()
            .map_err(|_| Failure::new(exit::USAGE, format!("invalid --tail {n:?}")))?,
    };
    query.push(("tail", tail.to_string()));
    if let Some(since) = &args.since {
        let now = now_ms() as i64 / 1000;
        let since =
            crate::logs::parse_since(since, now).map_err(|e| Failure::new(exit::USAGE, e))?;
        query.push(("since", since.to_string()));
    }
    if args.timestamps {
        eprintln!(
            "{}",
            warning_text("--timestamps is not available with --stack; printing lines only")
        );
    }
    let request = s
        .client
        .request(
            Method::GET,
            &s.org_path(&format!("/stacks/{}/logs", segment(stack))),
        )
        .query(&query);
    let stream = s.client.events(request).await?;
    let mut stream = std::pin::pin!(stream);
    let colour = !args.no_color
        && std::env::var_os("NO_COLOR").is_none()
        && std::io::stdout().is_terminal()
        && g.output == Output::Text;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut width = 0;
    while let Some(event) = stream.next().await {
        let event = event.map_err(|e| Failure::from(s.client.transport(e)))?;
        match event.event.as_str() {
            "end" => break,
            "log" => {}
            _ => continue,
        }
        let Ok(line) = serde_json::from_str::<LogLine>(&event.data) else {
            continue;
        };
        if args.services.len() > 1 && !args.services.contains(&line.service) {
            continue;
        }
        if g.output == Output::Json {
            print_json_line(&line);
            continue;
        }
        if args.no_log_prefix {
            println!("{}", line.text);
            continue;
        }
        let next = seen.len();
        let index = *seen.entry(line.container.clone()).or_insert(next);
        let label = crate::logs::prefix(stack, &line.container);
        width = width.max(label.len());
        let label = format!("{label:width$} |");
        if colour {
            println!(
                "{} {}",
                label.color(crate::logs::COLOURS[index % crate::logs::COLOURS.len()]),
                line.text
            );
        } else {
            println!("{label} {}", line.text);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_get_a_scheme_and_lose_the_slash() {
        assert_eq!(normalize_url("host:8080/").unwrap(), "http://host:8080");
        assert_eq!(
            normalize_url("https://wf.example.com").unwrap(),
            "https://wf.example.com"
        );
        assert!(normalize_url("ftp://x").is_err());
    }

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(segment("web-1_a.b"), "web-1_a.b");
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
    }
}
