//! Prints what an importer makes of one template: the rewritten compose text and every note,
//! or why it failed.
//!
//! ```text
//! cargo run -p windflow-catalog --example import_show -- coolify crates/catalog/tests/data/coolify/ghost.yaml
//! cargo run -p windflow-catalog --example import_show -- portainer crates/catalog/tests/data/portainer/templates-3.json WordPress
//! ```
//!
//! For Portainer, stack templates of portainer/templates are read from the `repo-v3/` and
//! `repo-master/` folders next to the list, when they are there.

use std::path::Path;

use windflow_catalog::import::portainer::StackFile;
use windflow_catalog::import::{coolify, portainer};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["coolify", file] => {
            let text = read(file);
            let name = Path::new(file)
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            match coolify::import(&name, &text) {
                Ok((t, notes)) => {
                    println!("{}", t.compose);
                    for note in notes {
                        println!("# {note}");
                    }
                }
                Err(failure) => println!("{failure}"),
            }
        }
        ["portainer", file, title] => {
            let text = read(file);
            let dir = Path::new(file).parent().unwrap_or(Path::new("."));
            let files = |source: &StackFile| {
                if source.repository.trim_end_matches('/')
                    != "https://github.com/portainer/templates"
                {
                    return None;
                }
                ["repo-v3", "repo-master"]
                    .iter()
                    .find_map(|b| std::fs::read_to_string(dir.join(b).join(&source.path)).ok())
            };
            let entries = match portainer::import_with(file, &text, &files) {
                Ok(entries) => entries,
                Err(failure) => {
                    println!("{failure}");
                    return;
                }
            };
            for entry in entries.into_iter().filter(|e| e.title.contains(title)) {
                match entry.result {
                    Ok((t, notes)) => {
                        println!("{}", t.compose);
                        for note in notes {
                            println!("# {note}");
                        }
                    }
                    Err(failure) => println!("{failure}"),
                }
            }
        }
        _ => eprintln!("usage: import_show coolify FILE | portainer LIST.json TITLE"),
    }
}

fn read(file: &str) -> String {
    std::fs::read_to_string(file).unwrap_or_else(|e| {
        eprintln!("reading {file}: {e}");
        std::process::exit(1)
    })
}
