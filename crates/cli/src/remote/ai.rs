//! `windflow ai` through the server: generate (progress streamed) and diagnose.

use futures::StreamExt;
use reqwest::Method;
use windflow_protocol::{AiDiagnosis, AiGenerateRequest, AiGenerated, Problem};

use super::ServerArgs;
use super::commands::{connect, segment};
use crate::failure::Failure;
use crate::render::print_json;
use crate::{Global, Output, exit};

type Result<T> = std::result::Result<T, Failure>;

/// Generates through the server; returns the compose file.
pub async fn generate(
    g: &Global,
    server: &ServerArgs,
    description: &str,
    target: Option<&str>,
    rounds: u32,
) -> Result<String> {
    let s = connect(server)?;
    let request = AiGenerateRequest {
        description: description.to_string(),
        target: target.map(str::to_string),
        max_rounds: Some(rounds),
    };
    let path = s.org_path("/ai/generate");
    let events = s
        .client
        .events(s.client.request(Method::POST, &path).json(&request))
        .await?;
    let mut events = std::pin::pin!(events);
    while let Some(event) = events.next().await {
        let event = event.map_err(|e| s.client.transport(e))?;
        match event.event.as_str() {
            "progress" => {
                let step: serde_json::Value = serde_json::from_str(&event.data).unwrap_or_default();
                let round = step["round"].as_u64().unwrap_or(0);
                match step["step"].as_str().unwrap_or("") {
                    "asking" => eprintln!(
                        "round {round}/{}: asking the model",
                        step["max_rounds"].as_u64().unwrap_or(0)
                    ),
                    "answered" => eprintln!(
                        "round {round}: answered in {} ms ({} + {} tokens)",
                        step["duration_ms"], step["prompt_tokens"], step["completion_tokens"]
                    ),
                    "checked" => eprintln!(
                        "round {round}: checked: {} error(s), {} warning(s)",
                        step["errors"], step["warnings"]
                    ),
                    "planning" => {
                        eprintln!("planning on {}", step["target"].as_str().unwrap_or(""))
                    }
                    _ => {}
                }
            }
            "result" => {
                let generated: AiGenerated = serde_json::from_str(&event.data).map_err(|e| {
                    Failure::new(exit::FAILURE, format!("the server's answer: {e}"))
                })?;
                if g.output == Output::Json {
                    print_json(&generated);
                    return Ok(generated.compose);
                }
                for a in &generated.advice {
                    let line = a.line.map(|l| format!("line {l}: ")).unwrap_or_default();
                    eprintln!("advisor {}[{}]: {line}{}", a.severity, a.rule, a.message);
                }
                if !generated.plan.is_empty() {
                    eprintln!("plan on {}:", target.unwrap_or(""));
                    for line in &generated.plan {
                        eprintln!("  {line}");
                    }
                }
                eprintln!(
                    "{} round(s), {} + {} tokens ({})",
                    generated.rounds.len(),
                    generated.prompt_tokens,
                    generated.completion_tokens,
                    generated.model
                );
                return Ok(generated.compose);
            }
            "error" => {
                let problem: Option<Problem> = serde_json::from_str(&event.data).ok();
                let message = problem
                    .map(|p| p.detail.unwrap_or(p.title))
                    .unwrap_or(event.data);
                return Err(Failure::new(exit::FAILURE, message));
            }
            _ => {}
        }
    }
    Err(Failure::new(
        exit::FAILURE,
        "the server closed the stream without a result",
    ))
}

/// Diagnoses a deployment; returns the proposed compose file, if any.
pub async fn diagnose(g: &Global, server: &ServerArgs, deployment: &str) -> Result<Option<String>> {
    let s = connect(server)?;
    let path = s.org_path(&format!("/deployments/{}/diagnose", segment(deployment)));
    let diagnosis: AiDiagnosis = s.client.call(s.client.request(Method::POST, &path)).await?;
    if g.output == Output::Json {
        print_json(&diagnosis);
    } else {
        println!("cause ({}):\n{}", diagnosis.model, diagnosis.cause);
        match &diagnosis.diff {
            Some(diff) => println!("\nproposed fix:\n{diff}"),
            None => println!("\n(no fix that passes WindFlow's checks was proposed)"),
        }
    }
    Ok(diagnosis.compose)
}
