//! Catalog sources: where the server imports templates from, and the refresh that does it.
//!
//! A source is a git repository (cloned shallow, with `git` run without a shell and with
//! `ext::` transports off) or an HTTP(S) URL of one file, in one of three formats: a
//! Coolify-style folder of compose templates, a Portainer app-template list (v2 or v3; stack
//! entries whose repository is the source itself are read from the clone), or a folder of
//! WindFlow templates. Only server administrators manage sources: a URL the server fetches is
//! the server's decision, not a tenant's. A refresh imports everything, reports per template
//! what could not be imported or mapped, and replaces the cached templates in one
//! transaction; a failed refresh keeps the previous templates and records why. Sources are
//! refreshed on demand and on their schedule (`refresh_interval_s`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use windflow_catalog::Template;
use windflow_catalog::import::{self, ImportFailure, Note};
use windflow_protocol as wire;
use windflow_storage::{CatalogSourceRecord, CatalogTemplateRow};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::services;
use crate::state::{App, new_id, now_ms};

/// Longest a clone or download may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(180);
/// Largest file read from a source (a template, a list).
const MAX_FILE_BYTES: u64 = 4 << 20;
/// Most template files read from one source.
const MAX_FILES: usize = 5000;
const DEFAULT_INTERVAL_S: i64 = 86_400;
const FORMATS: &[&str] = &["coolify", "portainer", "windflow"];

fn to_wire(record: CatalogSourceRecord, templates: i64) -> wire::CatalogSource {
    let report = serde_json::from_value(record.report.clone()).unwrap_or_default();
    wire::CatalogSource {
        name: record.name,
        kind: record.kind,
        url: record.url,
        path: record.path,
        reference: record.reference,
        format: record.format,
        refresh_interval_s: record.refresh_interval_s,
        refreshed_at: crate::convert::opt_time(record.refreshed_at),
        refresh_error: record.refresh_error,
        templates,
        report,
    }
}

pub async fn list(app: &App) -> ApiResult<Vec<wire::CatalogSource>> {
    let templates = app.store.list_catalog_templates().await?;
    Ok(app
        .store
        .list_catalog_sources()
        .await?
        .into_iter()
        .map(|s| {
            let count = templates.iter().filter(|t| t.source_id == s.id).count() as i64;
            to_wire(s, count)
        })
        .collect())
}

fn check_request(request: &wire::CreateCatalogSourceRequest) -> ApiResult<(String, String)> {
    services::names::check_name("name", &request.name)?;
    if request.name == super::BUILTIN {
        return Err(ApiError::invalid(
            "name",
            "builtin is WindFlow's own catalog",
        ));
    }
    let kind = request.kind.clone().unwrap_or_else(|| "git".into());
    let url = request.url.trim().to_string();
    let scheme = url.split_once("://").map(|(s, _)| s).unwrap_or("");
    match kind.as_str() {
        "git" if matches!(scheme, "https" | "http" | "git" | "ssh" | "file") => {}
        "git" => {
            return Err(ApiError::invalid(
                "url",
                "a git source is an https://, http://, git://, ssh:// or file:// URL",
            ));
        }
        "http" if matches!(scheme, "https" | "http") => {}
        "http" => {
            return Err(ApiError::invalid(
                "url",
                "an http source is an http(s):// URL",
            ));
        }
        other => {
            return Err(ApiError::invalid(
                "kind",
                format!("{other:?}: use git or http"),
            ));
        }
    }
    if url.starts_with('-') || url.chars().any(char::is_whitespace) {
        return Err(ApiError::invalid("url", "not a URL"));
    }
    if !FORMATS.contains(&request.format.as_str()) {
        return Err(ApiError::invalid(
            "format",
            format!("{:?}: use {}", request.format, FORMATS.join(", ")),
        ));
    }
    if let Some(path) = &request.path
        && (path.starts_with('/') || path.split('/').any(|p| p == ".."))
    {
        return Err(ApiError::invalid(
            "path",
            "a path inside the repository, without .. or a leading /",
        ));
    }
    if let Some(reference) = &request.reference
        && (reference.starts_with('-') || reference.is_empty())
    {
        return Err(ApiError::invalid("reference", "a branch or tag name"));
    }
    if request
        .refresh_interval_s
        .is_some_and(|s| s != 0 && s < 300)
    {
        return Err(ApiError::invalid(
            "refresh_interval_s",
            "0 (on demand only) or at least 300 seconds",
        ));
    }
    Ok((kind, url))
}

/// Adds a source: it is fetched and imported first, and nothing is stored when that fails.
pub async fn create(
    app: &App,
    caller: &Caller,
    request: wire::CreateCatalogSourceRequest,
) -> ApiResult<wire::CatalogSource> {
    let (kind, url) = check_request(&request)?;
    let mut record = CatalogSourceRecord {
        id: new_id(),
        name: request.name.clone(),
        kind,
        url,
        path: request.path.clone().filter(|p| !p.is_empty()),
        reference: request.reference.clone(),
        format: request.format.clone(),
        refresh_interval_s: request.refresh_interval_s.unwrap_or(DEFAULT_INTERVAL_S),
        refreshed_at: None,
        refresh_error: None,
        report: json!([]),
        created_at: now_ms(),
    };
    if app.store.get_catalog_source(&record.name).await.is_ok() {
        return Err(ApiError::Conflict {
            message: format!("a catalog source named {} exists", record.name),
            field: Some("name".into()),
        });
    }
    let (templates, report) = fetch_and_import(&record)
        .await
        .map_err(|e| ApiError::invalid("url", format!("{e:#}")))?;
    record = app.store.create_catalog_source(record).await?;
    let count = templates.len() as i64;
    let at = now_ms();
    app.store
        .replace_catalog_templates(&record.id, rows(&record.id, templates), json!(report), at)
        .await?;
    services::audit::record(
        app,
        caller,
        None,
        "catalog.source.create",
        &format!("catalog-source/{}", record.name),
        json!({ "url": record.url, "format": record.format, "templates": count }),
    )
    .await;
    let record = app.store.get_catalog_source(&record.name).await?;
    Ok(to_wire(record, count))
}

pub async fn delete(app: &App, caller: &Caller, name: &str) -> ApiResult<()> {
    app.store
        .delete_catalog_source(name)
        .await
        .map_err(crate::error::named("catalog source", name))?;
    services::audit::record(
        app,
        caller,
        None,
        "catalog.source.delete",
        &format!("catalog-source/{name}"),
        json!({}),
    )
    .await;
    Ok(())
}

/// Refreshes one source now; its state after (the error of a failed refresh is in it).
pub async fn refresh(
    app: &App,
    caller: Option<&Caller>,
    name: &str,
) -> ApiResult<wire::CatalogSource> {
    let record = app
        .store
        .get_catalog_source(name)
        .await
        .map_err(crate::error::named("catalog source", name))?;
    let started = std::time::Instant::now();
    let outcome = fetch_and_import(&record).await;
    let at = now_ms();
    let detail = match outcome {
        Ok((templates, report)) => {
            let count = templates.len();
            app.store
                .replace_catalog_templates(
                    &record.id,
                    rows(&record.id, templates),
                    json!(report),
                    at,
                )
                .await?;
            tracing::info!(source = %record.name, templates = count, ms = started.elapsed().as_millis() as u64, "catalog source refreshed");
            json!({ "templates": count })
        }
        Err(error) => {
            let message = format!("{error:#}");
            tracing::warn!(source = %record.name, error = %message, "catalog source refresh failed; the previous templates stay");
            app.store
                .record_catalog_refresh_error(&record.id, &message, at)
                .await?;
            json!({ "error": message })
        }
    };
    if let Some(caller) = caller {
        services::audit::record(
            app,
            caller,
            None,
            "catalog.source.refresh",
            &format!("catalog-source/{name}"),
            detail,
        )
        .await;
    }
    let templates = app.store.list_catalog_templates().await?;
    let record = app.store.get_catalog_source(name).await?;
    let count = templates
        .iter()
        .filter(|t| t.source_id == record.id)
        .count() as i64;
    Ok(to_wire(record, count))
}

/// The maintenance pass: refreshes each source whose interval has passed.
pub async fn refresh_due(app: &App) {
    let sources = match app.store.list_catalog_sources().await {
        Ok(sources) => sources,
        Err(e) => {
            tracing::warn!(error = %e, "listing catalog sources");
            return;
        }
    };
    let now = now_ms();
    for source in sources {
        let due = source.refresh_interval_s > 0
            && source
                .refreshed_at
                .is_none_or(|at| now - at >= source.refresh_interval_s * 1000);
        if due && let Err(e) = refresh(app, None, &source.name).await {
            tracing::warn!(source = %source.name, error = %e, "refreshing a catalog source");
        }
    }
}

fn rows(source_id: &str, templates: Vec<Template>) -> Vec<CatalogTemplateRow> {
    templates
        .into_iter()
        .map(|t| CatalogTemplateRow {
            source_id: source_id.to_string(),
            template_id: t.id,
            version: t.version,
            name: t.name,
            description: t.description,
            categories: t.categories,
            text: t.compose,
        })
        .collect()
}

fn note(
    template: &str,
    outcome: &str,
    reason: &str,
    message: impl Into<String>,
) -> wire::ImportNote {
    wire::ImportNote {
        template: template.to_string(),
        outcome: outcome.to_string(),
        reason: reason.to_string(),
        message: message.into(),
    }
}

/// Fetches the source into a fresh temporary directory and imports it.
async fn fetch_and_import(
    source: &CatalogSourceRecord,
) -> anyhow::Result<(Vec<Template>, Vec<wire::ImportNote>)> {
    let work = tempdir()?;
    let root = match source.kind.as_str() {
        "http" => {
            let file = work.path().join("download");
            download(&source.url, &file).await?;
            file
        }
        _ => {
            let dir = work.path().join("clone");
            clone(&source.url, source.reference.as_deref(), &dir).await?;
            match &source.path {
                Some(path) => dir.join(path),
                None => dir,
            }
        }
    };
    let clone_root = work.path().join("clone");
    let format = source.format.clone();
    let url = source.url.clone();
    let imported =
        tokio::task::spawn_blocking(move || import_tree(&format, &url, &root, &clone_root))
            .await??;
    drop(work);
    Ok(imported)
}

struct TempDir(PathBuf);

impl TempDir {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempdir() -> anyhow::Result<TempDir> {
    let dir = std::env::temp_dir().join(format!("windflow-catalog-{}", new_id()));
    std::fs::create_dir_all(&dir)?;
    Ok(TempDir(dir))
}

/// `git clone --depth 1` of `url` (a branch or tag with `reference`) into `dir`.
async fn clone(url: &str, reference: Option<&str>, dir: &Path) -> anyhow::Result<()> {
    let mut command = tokio::process::Command::new("git");
    command
        .args([
            "-c",
            "protocol.ext.allow=never",
            "clone",
            "--quiet",
            "--depth",
            "1",
        ])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "/bin/false")
        .env("SSH_ASKPASS", "/bin/false")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    if let Some(reference) = reference {
        command.args(["--branch", reference]);
    }
    command.arg("--").arg(url).arg(dir);
    let output = tokio::time::timeout(FETCH_TIMEOUT, command.output())
        .await
        .map_err(|_| anyhow::anyhow!("git clone of {url} took longer than {FETCH_TIMEOUT:?}"))?
        .map_err(|e| anyhow::anyhow!("running git (is it installed?): {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        anyhow::bail!("git clone of {url} failed: {}", stderr.trim());
    }
    Ok(())
}

async fn download(url: &str, file: &Path) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()?;
    let response = client.get(url).send().await?;
    if !response.status().is_success() {
        anyhow::bail!("GET {url}: HTTP {}", response.status());
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_FILE_BYTES)
    {
        anyhow::bail!("GET {url}: larger than {} MiB", MAX_FILE_BYTES >> 20);
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    use futures::StreamExt;
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk?);
        if body.len() as u64 > MAX_FILE_BYTES {
            anyhow::bail!("GET {url}: larger than {} MiB", MAX_FILE_BYTES >> 20);
        }
    }
    std::fs::write(file, body)?;
    Ok(())
}

fn read_capped(path: &Path) -> anyhow::Result<String> {
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.is_file() {
        anyhow::bail!("{} is not a regular file", path.display());
    }
    if meta.len() > MAX_FILE_BYTES {
        anyhow::bail!(
            "{} is larger than {} MiB",
            path.display(),
            MAX_FILE_BYTES >> 20
        );
    }
    Ok(std::fs::read_to_string(path)?)
}

/// The YAML files directly in `dir` (or `dir` itself when it is a file), sorted.
fn yaml_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if dir.is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    if files.len() > MAX_FILES {
        anyhow::bail!("{} holds more than {MAX_FILES} templates", dir.display());
    }
    Ok(files)
}

fn failure_note(failure: &ImportFailure) -> wire::ImportNote {
    note(
        &failure.template,
        "skipped",
        failure.reason.as_str(),
        failure.message.clone(),
    )
}

fn partial_notes(template: &str, notes: &[Note]) -> Vec<wire::ImportNote> {
    notes
        .iter()
        .map(|n| note(template, "partial", n.reason.as_str(), n.to_string()))
        .collect()
}

/// Imports what a fetched source holds, in its format. Blocking (file reads, parsing).
fn import_tree(
    format: &str,
    url: &str,
    root: &Path,
    clone_root: &Path,
) -> anyhow::Result<(Vec<Template>, Vec<wire::ImportNote>)> {
    let mut templates: Vec<Template> = Vec::new();
    let mut report = Vec::new();
    let mut accept = |t: Template, name: &str, report: &mut Vec<wire::ImportNote>| {
        if templates.iter().any(|other| other.id == t.id) {
            report.push(note(
                name,
                "skipped",
                "duplicate-id",
                format!("another template of this source has the id {}", t.id),
            ));
        } else {
            templates.push(t);
        }
    };
    match format {
        "portainer" => {
            let text = read_capped(root)?;
            let name = root
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let same_repo = |repository: &str| {
                let norm = |u: &str| u.trim_end_matches('/').trim_end_matches(".git").to_string();
                norm(repository) == norm(url)
            };
            let stackfile = |file: &import::portainer::StackFile| -> Option<String> {
                if !same_repo(&file.repository) || file.path.split('/').any(|p| p == "..") {
                    return None;
                }
                read_capped(&clone_root.join(&file.path)).ok()
            };
            let entries = import::portainer::import_with(&name, &text, &stackfile)
                .map_err(|f| anyhow::anyhow!("{}: {}", f.template, f.message))?;
            for entry in entries {
                match entry.result {
                    Ok((t, notes)) => {
                        report.extend(partial_notes(&entry.title, &notes));
                        accept(t, &entry.title, &mut report);
                    }
                    Err(failure) => report.push(failure_note(&failure)),
                }
            }
        }
        "coolify" | "windflow" => {
            for path in yaml_files(root)? {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                let text = match read_capped(&path) {
                    Ok(text) => text,
                    Err(e) => {
                        report.push(note(&name, "skipped", "unreadable", e.to_string()));
                        continue;
                    }
                };
                if format == "coolify" {
                    match import::coolify::import(&name, &text) {
                        Ok((t, notes)) => {
                            report.extend(partial_notes(&name, &notes));
                            accept(t, &name, &mut report);
                        }
                        Err(failure) => report.push(failure_note(&failure)),
                    }
                } else {
                    match Template::parse(&name, &text) {
                        Ok(t) => accept(t, &name, &mut report),
                        Err(diagnostics) => report.push(note(
                            &name,
                            "skipped",
                            "invalid-template",
                            diagnostics
                                .iter()
                                .map(|d| match d.line {
                                    Some(line) => format!("line {line}: {}: {}", d.path, d.message),
                                    None => format!("{}: {}", d.path, d.message),
                                })
                                .collect::<Vec<_>>()
                                .join("; "),
                        )),
                    }
                }
            }
        }
        other => anyhow::bail!("unknown format {other}"),
    }
    Ok((templates, report))
}
