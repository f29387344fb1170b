//! `windflow ai`: generate a stack from a description — through the WindFlow server (its
//! organization's provider, checked against the organization's policy, planned on a target),
//! or, with `WINDFLOW_AI_BASE_URL` set, directly against an OpenAI-compatible provider like
//! `windflow up` works without a server — and diagnose a failed deployment on the server.

use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;
use windflow_ai::{GenerateRequest, Problem, Progress, Provider, ProviderConfig};

use crate::failure::Failure;
use crate::remote::ServerArgs;
use crate::{Global, exit};

type Result<T> = std::result::Result<T, Failure>;

#[derive(Subcommand, Debug)]
pub enum AiCommand {
    /// Write a compose file from a description: the model's answer is loaded by WindFlow's
    /// compose loader and checked by the advisor, and repaired in a loop (the diagnostics fed
    /// back) until it loads without errors.
    Generate {
        /// What to run: "a Ghost blog with MySQL behind blog.example.com".
        description: String,
        /// Plan the result against this server target (server mode).
        #[arg(long)]
        target: Option<String>,
        /// Write the compose file here (default: standard output).
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
        /// Repair rounds (1–5).
        #[arg(long, default_value_t = 3)]
        rounds: u32,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Ask the model why a deployment on the server failed: a cause and a fix as a diff.
    Diagnose {
        /// The deployment's id.
        deployment: String,
        /// Write the proposed compose file here.
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        server: ServerArgs,
    },
}

pub async fn run(g: &Global, command: &AiCommand) -> Result<()> {
    match command {
        AiCommand::Generate {
            description,
            target,
            out,
            rounds,
            server,
        } => {
            let local = std::env::var("WINDFLOW_AI_BASE_URL")
                .ok()
                .filter(|u| !u.is_empty());
            let compose = match local {
                Some(base_url) if server.server.is_none() => {
                    if target.is_some() {
                        return Err(Failure::new(
                            exit::USAGE,
                            "--target plans on a server target: unset WINDFLOW_AI_BASE_URL to \
                             generate through the server (or plan the result with `windflow -f FILE plan`)",
                        ));
                    }
                    generate_locally(&base_url, description, *rounds).await?
                }
                _ => {
                    crate::remote::ai::generate(g, server, description, target.as_deref(), *rounds)
                        .await?
                }
            };
            write_out(out.as_ref(), &compose)
        }
        AiCommand::Diagnose {
            deployment,
            out,
            server,
        } => {
            let fix = crate::remote::ai::diagnose(g, server, deployment).await?;
            match (fix, out) {
                (Some(compose), Some(_)) => write_out(out.as_ref(), &compose),
                _ => Ok(()),
            }
        }
    }
}

fn write_out(out: Option<&PathBuf>, compose: &str) -> Result<()> {
    match out {
        Some(path) => {
            std::fs::write(path, compose).map_err(|e| {
                Failure::new(exit::FAILURE, format!("writing {}: {e}", path.display()))
            })?;
            eprintln!("wrote {}", path.display());
            Ok(())
        }
        None => {
            print!("{compose}");
            Ok(())
        }
    }
}

/// The check of a proposed file without a server: WindFlow's loader (isolated) and the
/// advisor; error-level findings are fed back to the model.
fn local_check(text: &str) -> Vec<Problem> {
    let mut problems = windflow_ai::compose_check(text);
    if problems.iter().any(Problem::is_error) {
        return problems;
    }
    let options = windflow_compose::LoadOptions {
        isolated: true,
        working_dir: Some(windflow_advisor::NEUTRAL_WORKING_DIR.into()),
        ..Default::default()
    };
    if let Ok(loaded) = windflow_compose::load_from_str("compose.yaml", text, &options) {
        for f in windflow_advisor::advise_loaded(text, &loaded.stack) {
            let message = format!("[{}] {} (fix: {})", f.rule, f.message, f.fix);
            problems.push(match f.severity {
                windflow_advisor::Severity::Error => {
                    Problem::error("compose.yaml", f.line, f.field, message)
                }
                _ => Problem::warning("compose.yaml", f.line, f.field, message),
            });
        }
    }
    problems
}

async fn generate_locally(base_url: &str, description: &str, rounds: u32) -> Result<String> {
    let model = std::env::var("WINDFLOW_AI_MODEL").map_err(|_| {
        Failure::new(
            exit::USAGE,
            "WINDFLOW_AI_BASE_URL is set but WINDFLOW_AI_MODEL is not: name the model",
        )
    })?;
    let mut config = ProviderConfig::new(base_url, model);
    if let Ok(key) = std::env::var("WINDFLOW_AI_API_KEY")
        && !key.is_empty()
    {
        config = config.with_api_key(key);
    }
    if let Some(tokens) = std::env::var("WINDFLOW_AI_MAX_TOKENS")
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
    {
        config.max_tokens = Some(tokens);
    }
    if let Some(seconds) = std::env::var("WINDFLOW_AI_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        config.timeout = Duration::from_secs(seconds);
    }
    let provider = Provider::new(config).map_err(|e| Failure::new(exit::USAGE, e.to_string()))?;
    let mut request = GenerateRequest::new(description);
    request.max_rounds = rounds.clamp(1, 5) as usize;
    let generated = windflow_ai::generate(&provider, &request, local_check, |p| match p {
        Progress::Asking { round, max_rounds } => {
            eprintln!("round {round}/{max_rounds}: asking {}", provider.endpoint())
        }
        Progress::Answered {
            round,
            usage,
            duration,
        } => eprintln!(
            "round {round}: answered in {:.1} s ({} + {} tokens)",
            duration.as_secs_f64(),
            usage.prompt_tokens,
            usage.completion_tokens
        ),
        Progress::Checked {
            round,
            errors,
            warnings,
        } => eprintln!("round {round}: checked: {errors} error(s), {warnings} warning(s)"),
    })
    .await
    .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
    Ok(generated.compose)
}
