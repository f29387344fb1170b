//! `windflow advise`: the stack advisor over the compose file(s), as a compiler prints
//! diagnostics (or JSON); `--strict` fails on an error-level finding.

use std::io::IsTerminal;

use windflow_compose::load;

use crate::failure::Failure;
use crate::render::print_json;
use crate::{Global, Output, exit};

type Result<T> = std::result::Result<T, Failure>;

pub fn advise(g: &Global, strict: bool) -> Result<()> {
    let options = g.load_options();
    let loaded = load(&options).map_err(|e| Failure::new(exit::INVALID_STACK, e.to_string()))?;
    // Lines are those of the first file: the one a stack's services are usually written in.
    let first = loaded.stack.config_files.first().cloned();
    let text = first
        .as_ref()
        .and_then(|path| std::fs::read_to_string(path).ok())
        .unwrap_or_default();
    let findings = windflow_advisor::advise_loaded(&text, &loaded.stack);
    let file = first
        .as_ref()
        .map(|p| {
            std::env::current_dir()
                .ok()
                .and_then(|cwd| p.strip_prefix(cwd).ok().map(|r| r.display().to_string()))
                .unwrap_or_else(|| p.display().to_string())
        })
        .unwrap_or_else(|| "compose.yaml".into());
    if g.output == Output::Json {
        print_json(&serde_json::json!({ "file": file, "findings": findings }));
    } else if findings.is_empty() {
        println!("{file}: no findings");
    } else {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        print!("{}", windflow_advisor::render_text(&file, &findings, color));
        let count =
            |s: windflow_advisor::Severity| findings.iter().filter(|f| f.severity == s).count();
        println!(
            "{} error(s), {} warning(s), {} note(s)",
            count(windflow_advisor::Severity::Error),
            count(windflow_advisor::Severity::Warning),
            count(windflow_advisor::Severity::Info)
        );
    }
    if strict && windflow_advisor::has_errors(&findings) {
        return Err(Failure::new(
            exit::ADVICE,
            "the advisor found error-level findings (--strict)",
        ));
    }
    Ok(())
}
