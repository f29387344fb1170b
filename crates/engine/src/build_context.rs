//! Build contexts: the context directory as a tar archive for the Engine API, honouring
//! `.dockerignore` (patterns anchored at the context root, `**`, `!` exceptions).

use std::path::Path;

use ignore::WalkBuilder;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// Packs `context` into a tar archive, leaving out what `.dockerignore` excludes. The
/// Dockerfile and `.dockerignore` are always included, as the engine needs them.
pub fn build_context_tar(context: &Path, dockerfile: &str) -> std::io::Result<Vec<u8>> {
    if !context.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "the build context is not a directory",
        ));
    }
    let ignore = dockerignore(context);
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let walker = WalkBuilder::new(context)
        .standard_filters(false)
        .hidden(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    for entry in walker {
        let entry = entry.map_err(std::io::Error::other)?;
        let path = entry.path();
        let Ok(relative) = path.strip_prefix(context) else {
            continue;
        };
        if relative.as_os_str().is_empty() {
            continue;
        }
        let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
        let always = relative == Path::new(dockerfile) || relative == Path::new(".dockerignore");
        if !always
            && ignore
                .matched_path_or_any_parents(relative, is_dir)
                .is_ignore()
        {
            continue;
        }
        if is_dir {
            builder.append_dir(relative, path)?;
        } else {
            builder.append_path_with_name(path, relative)?;
        }
    }
    builder.into_inner()
}

fn dockerignore(context: &Path) -> Gitignore {
    let mut builder = GitignoreBuilder::new(context);
    if let Ok(text) = std::fs::read_to_string(context.join(".dockerignore")) {
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            // .dockerignore patterns are relative to the context root, unlike .gitignore's.
            let (negate, pattern) = line.strip_prefix('!').map_or((false, line), |p| (true, p));
            let pattern = pattern.trim_start_matches("./").trim_start_matches('/');
            let anchored = format!("{}/{pattern}", if negate { "!" } else { "" });
            let _ = builder.add_line(None, &anchored);
        }
    }
    builder.build().unwrap_or_else(|_| Gitignore::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerignore_is_honoured() {
        let dir = std::env::temp_dir().join(format!("wf-ctx-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src/deep")).unwrap();
        std::fs::create_dir_all(dir.join("node_modules/x")).unwrap();
        for f in [
            "Dockerfile",
            "src/main.rs",
            "src/deep/keep.log",
            "src/debug.log",
            "node_modules/x/a.js",
            "secret.env",
        ] {
            std::fs::write(dir.join(f), "x").unwrap();
        }
        std::fs::write(
            dir.join(".dockerignore"),
            "node_modules\n**/*.log\n!src/deep/keep.log\nsecret.env\n",
        )
        .unwrap();
        let tar = build_context_tar(&dir, "Dockerfile").unwrap();
        let mut archive = tar::Archive::new(tar.as_slice());
        let mut names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                ".dockerignore",
                "Dockerfile",
                "src",
                "src/deep",
                "src/deep/keep.log",
                "src/main.rs"
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
