//! The tests that drive the web console in Debian's headless Chromium, in a test binary of
//! their own: cargo runs test binaries one after another, so nothing else runs beside them.
//! Chromium drops its connections (`ERR_NETWORK_CHANGED`) whenever the host's interfaces
//! change — which every Docker network another test creates does — and its steps wait a
//! bounded time on two shared cores. The modules live with the server's tests, whose helpers
//! they use.

/// One browser at a time: two Chromiums on the same two cores slow each other's steps.
pub static BROWSER_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[allow(dead_code)]
#[path = "server/support.rs"]
mod support;

#[path = "server/console.rs"]
mod console;

#[path = "server/kubernetes.rs"]
mod kubernetes;

#[path = "server/catalog_console.rs"]
mod catalog_console;

#[path = "server/backups_console.rs"]
mod backups_console;

#[path = "server/access_console.rs"]
mod access_console;
#[path = "server/factors_console.rs"]
mod factors_console;
#[path = "server/sso_console.rs"]
mod sso_console;

#[path = "server/passkeys_console.rs"]
mod passkeys_console;

#[path = "server/workflows_console.rs"]
mod workflows_console;
