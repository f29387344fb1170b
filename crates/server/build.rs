//! Points the embedded web console (`ui.rs`, rust-embed) at `web/dist`, or — when the console
//! has not been built (a fresh clone without `scripts/build-web.sh`) — at a placeholder page in
//! OUT_DIR that says how to build it, so `cargo build` never fails for want of Node.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let dist = manifest.join("../../web/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    println!("cargo:rerun-if-env-changed=WINDFLOW_WEB_DIST");
    let chosen = match std::env::var("WINDFLOW_WEB_DIST") {
        Ok(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ if dist.join("index.html").is_file() => dist,
        _ => {
            println!(
                "cargo:warning=web/dist is missing: the binary will serve a page saying to run scripts/build-web.sh (then rebuild) instead of the web console"
            );
            let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"))
                .join("web-placeholder");
            std::fs::create_dir_all(&out).expect("creating the placeholder directory");
            std::fs::write(out.join("index.html"), PLACEHOLDER)
                .expect("writing the placeholder page");
            out
        }
    };
    let chosen = chosen.canonicalize().unwrap_or(chosen);
    println!("cargo:rustc-env=WINDFLOW_WEB_DIST={}", chosen.display());
}

const PLACEHOLDER: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>WindFlow — web console not built</title>
<meta name="windflow-placeholder" content="1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>The WindFlow web console is not built into this binary</h1>
<p>This <code>windflow</code> was compiled before the console's assets existed. The API works
(<a href="/api/docs">/api/docs</a>); to get the console, build it and rebuild the binary:</p>
<pre>scripts/build-web.sh      # npm ci + vite build into web/dist (needs Node 20 and npm)
cargo build --release -p windflow-cli</pre>
<p><code>scripts/serve.sh</code> does both.</p>
</body></html>
"#;
