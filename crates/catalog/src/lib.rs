//! Templates: what WindFlow offers to deploy in one click, and where they come from.
//!
//! A template is one compose file whose top-level `x-windflow.template` block names it and
//! declares its inputs (the `${VARIABLES}` of the compose text: typed, validated, generated
//! or computed from a size class) — the format is in [`template`] and `docs/templates.md`.
//!
//! - [`template`]: [`Template::parse`] reads and checks one (every field with file, line and
//!   field; every `${VAR}` declared; the compose part loads with WindFlow's loader).
//! - [`render`]: [`resolve`] turns a template and a user's [`Choice`] into the variables of a
//!   deployment, and refuses a size class the target cannot fit.
//! - [`input`]: the inputs' types and the checks every value goes through.
//! - [`formula`]: the small arithmetic of computed inputs (`memory / 4`).
//! - [`import`]: Coolify's one-click compose templates and Portainer's app-template lists,
//!   rewritten into WindFlow templates with a report of everything that could not be mapped.
//! - [`mod@builtin`]: the curated templates shipped in the binary.
//!
//! Invariants:
//! - Pure: no network, no files, no clock, no async runtime. Callers pass text (a fetched
//!   source, a file's contents) and a random source; the only "I/O" is what they pass.
//! - Never panics, whatever the input (the YAML reader, the formula evaluator, the value
//!   checks and both importers are property-tested on arbitrary text).
//! - Importers report everything they cannot map, per template, with a reason code
//!   ([`import::Reason`]); nothing is dropped silently. Every template they return passes
//!   [`Template::parse`].
//! - Nothing here knows about the server, storage or targets beyond
//!   [`windflow_domain::observed::EngineInfo`]'s capacity figures.

pub mod builtin;
pub mod emit;
pub mod formula;
pub mod import;
pub mod input;
pub mod render;
pub mod template;
pub mod vars;

pub use builtin::builtin;
pub use input::{Generator, Input, InputKind, Size, Sizes};
pub use render::{
    Capacity, Choice, InputError, Origin, Resolved, ResolvedSize, ResolvedVar, SizeChoice, resolve,
};
pub use template::Template;
