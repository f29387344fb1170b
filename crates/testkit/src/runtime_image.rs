//! A `FROM scratch` image that holds only the shared libraries (and the dynamic loader) a
//! dynamically linked host binary needs, as `ldd` reports them, so that the binary itself can
//! be bind-mounted read-only into a container and run there — with no registry and no base
//! image.
//!
//! Why not copy the binary into the image: the debug `windflow` binary is ~460 MB, and
//! building an image from it took ~7.5 s on the 2-core CI machine (and as much disk per
//! build), while this image is a few MB, built once per set of libraries (its tag is their
//! content hash) and kept like the busybox test images.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use bollard::Docker;
use bollard::query_parameters::BuildImageOptions;
use futures::StreamExt;
use sha2::{Digest, Sha256};

/// The repository of runtime images; the tag is a hash of the libraries' paths and contents.
pub const RUNTIME_IMAGE_REPO: &str = "windflow-test/runtime";

/// Bump when the image's layout changes, so stale images are not reused.
const RECIPE_REVISION: &str = "1";

/// Makes sure a runtime image for `binary` exists and returns its tag
/// (`windflow-test/runtime:<hash>`). Mount the binary into containers of it read-only.
pub async fn ensure_runtime_image(docker: &Docker, binary: &Path) -> anyhow::Result<String> {
    let libraries = shared_libraries(binary)?;
    let mut files = Vec::new();
    let mut hasher = Sha256::new();
    hasher.update(RECIPE_REVISION.as_bytes());
    for path in libraries {
        // The content of the file the path resolves to, stored under the path ldd names
        // (which the binary and the loader look up), so symlinks need no recreating.
        let content =
            std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        hasher.update(path.as_os_str().as_encoded_bytes());
        hasher.update([0]);
        hasher.update(&content);
        files.push((path, content));
    }
    let hash: String = hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let image = format!("{RUNTIME_IMAGE_REPO}:{hash}");
    if docker.inspect_image(&image).await.is_ok() {
        return Ok(image);
    }
    let context = build_context(&files).context("writing the runtime image's build context")?;
    let options = BuildImageOptions {
        t: Some(image.clone()),
        rm: true,
        forcerm: true,
        labels: Some(HashMap::from([(
            "org.windflow.test.recipe".to_string(),
            format!("runtime/r{RECIPE_REVISION}"),
        )])),
        ..Default::default()
    };
    let mut build = docker.build_image(options, None, Some(bollard::body_full(context.into())));
    while let Some(item) = build.next().await {
        let info = item.with_context(|| format!("building {image}"))?;
        if let Some(message) = info.error_detail.and_then(|d| d.message) {
            bail!("building {image}: {message}");
        }
    }
    docker
        .inspect_image(&image)
        .await
        .with_context(|| format!("{image} is missing after its build"))?;
    Ok(image)
}

/// The absolute paths `ldd binary` lists (libraries and the dynamic loader); empty for a
/// static binary.
pub fn shared_libraries(binary: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let output = std::process::Command::new("ldd")
        .arg(binary)
        .output()
        .with_context(|| format!("running ldd {}", binary.display()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        if String::from_utf8_lossy(&output.stderr).contains("not a dynamic executable")
            || text.contains("not a dynamic executable")
        {
            return Ok(Vec::new());
        }
        bail!(
            "ldd {} failed ({}): {}",
            binary.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_ldd(&text).with_context(|| format!("ldd {}", binary.display()))
}

/// Paths from `ldd` output lines: `libc.so.6 => /lib/…/libc.so.6 (0x…)`,
/// `/lib64/ld-linux-x86-64.so.2 (0x…)`; `linux-vdso.so.1 (0x…)` has no file.
fn parse_ldd(output: &str) -> anyhow::Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for line in output.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.contains("not a dynamic executable") {
            continue;
        }
        let candidate = match line.split_once("=>") {
            Some((name, rest)) => {
                let rest = rest.trim();
                if rest.starts_with("not found") {
                    bail!("the library {} is not found", name.trim());
                }
                rest
            }
            None => line,
        };
        let path = candidate.split_whitespace().next().unwrap_or_default();
        if path.starts_with('/') {
            paths.push(PathBuf::from(path));
        }
    }
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// A build context: a Dockerfile `FROM scratch` + `COPY rootfs /`, the files under
/// `rootfs/` at their absolute paths, and an empty `/tmp` (mode 1777).
fn build_context(files: &[(PathBuf, Vec<u8>)]) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let dockerfile = b"FROM scratch\nCOPY rootfs /\n";
    let mut header = tar::Header::new_gnu();
    header.set_size(dockerfile.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    builder.append_data(&mut header, "Dockerfile", &dockerfile[..])?;
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Directory);
    header.set_size(0);
    header.set_mode(0o1777);
    header.set_mtime(0);
    builder.append_data(&mut header, "rootfs/tmp/", std::io::empty())?;
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o755);
        header.set_mtime(0);
        let relative = Path::new("rootfs").join(path.strip_prefix("/").unwrap_or(path));
        builder.append_data(&mut header, relative, content.as_slice())?;
    }
    builder.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(output: &str, expected: &[&str]) {
        let parsed = parse_ldd(output).unwrap();
        let expected: Vec<PathBuf> = expected.iter().map(PathBuf::from).collect();
        assert_eq!(parsed, expected, "{output}");
    }

    #[test]
    fn ldd_output_gives_libraries_and_the_loader() {
        check(
            "\tlinux-vdso.so.1 (0x00007ffd)\n\
             \tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f91)\n\
             \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f91)\n\
             \t/lib64/ld-linux-x86-64.so.2 (0x00007f91)\n",
            &[
                "/lib/x86_64-linux-gnu/libc.so.6",
                "/lib/x86_64-linux-gnu/libgcc_s.so.1",
                "/lib64/ld-linux-x86-64.so.2",
            ],
        );
        check("\tnot a dynamic executable\n", &[]);
        check("\tstatically linked\n", &[]);
    }

    #[test]
    fn a_missing_library_is_an_error_naming_it() {
        let error = parse_ldd("\tlibfoo.so.1 => not found\n").unwrap_err();
        assert!(error.to_string().contains("libfoo.so.1"), "{error}");
    }
}
