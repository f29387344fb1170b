//! WindFlow's AI: writing, diagnosing and tuning stacks through any OpenAI-compatible
//! provider (OpenAI, LiteLLM, Ollama's `/v1`, vLLM, llama.cpp's `llama-server`).
//!
//! The pipeline, not the model, guarantees quality:
//!
//! - [`provider`]: one chat endpoint, complete or streamed answers, the known deviations of
//!   compatible servers tolerated, retries, timeouts, cancellation, clear [`AiError`]s;
//! - [`redact`]: known secret values (and their encodings) and secret-looking compose values
//!   replaced by markers;
//! - [`extract`]: the compose file found in an answer;
//! - [`check`]: [`Problem`]s, and the default check through WindFlow's own compose loader;
//! - [`mod@generate`]: ask → extract → check → feed the problems back, a bounded number of rounds;
//! - [`assist`]: [`diagnose`] a failed deployment and [`optimize`] a running stack, each
//!   proposal checked the same way.
//!
//! Invariants:
//! - every outgoing message passes the provider's [`Redactor`] (the request body is built in
//!   one place, `Provider::request_body`), and compose text given to the model passes
//!   [`redact_compose`] first; the API key is never in an error message or `Debug` output;
//! - nothing the model says is trusted until WindFlow's own check accepts it: [`generate()`]
//!   returns only a stack whose check has no error, and a proposed fix that does not pass is
//!   dropped with a note; the check runs on the model's own text, and secrets are put back
//!   (for the user, never for the model) only into a file it accepted;
//! - the crate stores nothing and deploys nothing: it returns text for the caller to show,
//!   store or deploy through the usual pipeline. It knows nothing of engines, targets or
//!   storage, and depends only on `windflow-compose` and `windflow-domain` (the host-access
//!   policy) among WindFlow's crates.

pub mod assist;
pub mod check;
pub mod error;
pub mod extract;
pub mod generate;
pub mod provider;
pub mod redact;

pub use crate::assist::{
    DiagnoseInput, Diagnosis, OptimizeInput, Proposal, ServiceUsage, diagnose, optimize,
};
pub use crate::check::{Problem, Severity, compose_check, generation_check, policy_check};
pub use crate::error::AiError;
pub use crate::extract::extract_yaml;
pub use crate::generate::{
    CatalogHint, GenerateRequest, Generated, Progress, Round, TargetHint, generate,
};
pub use crate::provider::{
    ChatOptions, Completion, Delta, JsonSchema, Message, Provider, ProviderConfig, Role,
    SecretString, Usage,
};
pub use crate::redact::{Redactor, redact_compose};
