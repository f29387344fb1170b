//! The curated templates shipped in the binary (`crates/catalog/templates/*.yaml`).
//!
//! To add one: write `templates/<id>.yaml` and add a line
//! `("<id>.yaml", include_str!("../templates/<id>.yaml")),` to [`BUILTIN`]. The test below
//! checks that every entry parses, so a broken template fails the build's tests, not a user.

use crate::template::Template;

/// (file name, text) of every curated template. Empty until the curated set lands.
pub const BUILTIN: &[(&str, &str)] = &[];

/// The curated templates, each with `source` set to `builtin:<file>`. One that does not
/// parse is left out (the test below keeps that from shipping).
pub fn builtin() -> Vec<Template> {
    BUILTIN
        .iter()
        .filter_map(|(file, text)| {
            let mut template = Template::parse(file, text).ok()?;
            template.source = Some(format!("builtin:{file}"));
            Some(template)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_template_parses() {
        for (file, text) in BUILTIN {
            if let Err(errors) = Template::parse(file, text) {
                let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
                panic!("{file}:\n{}", lines.join("\n"));
            }
        }
        assert_eq!(builtin().len(), BUILTIN.len());
    }
}
