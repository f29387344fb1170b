//! WindFlow's notifications: delivering a [`Message`] to a [`Channel`] — a signed JSON
//! webhook, Slack, Discord, e-mail over SMTP, ntfy or Gotify — configured once per
//! organization.
//!
//! - [`channel`]: the channel kinds and their settings; [`Channel::split`] and
//!   [`Channel::join`] keep public settings and secrets apart for storage,
//!   [`Channel::public_view`] is what a user may see, [`Channel::validate`] checks settings
//!   without contacting anything, and [`Channel::endpoint_urls`] lists what the server's egress
//!   policy must allow;
//! - [`message`]: what happened ([`Level`], title, body, fields, link);
//! - [`notifier`]: [`Notifier::send`], each kind in its own wire format, bounded by one timeout;
//! - [`sign`]: the webhook's `X-WindFlow-Signature` (HMAC-SHA256 over `"<timestamp>.<body>"`)
//!   and [`verify_signature`] for receivers;
//! - [`error`]: why a delivery failed ([`NotifyError`]), never with a secret in it.
//!
//! Invariants:
//! - the crate stores nothing and knows no server, database or organization: the caller loads
//!   the channel (both parts), checks its endpoints against the egress policy, sends, and
//!   records the outcome;
//! - secrets (the webhook's signing key, Slack's and Discord's URLs, which embed their token,
//!   the SMTP password, ntfy's and Gotify's tokens) are never logged (the crate does not log),
//!   never in an error message, a `Debug` output or a public view; answer bodies quoted in
//!   errors are cut to 512 bytes and masked with [`Channel::secrets`];
//! - every delivery is bounded by the notifier's timeout, connection and answer included, and
//!   HTTP redirects are not followed (a redirect would bypass the egress check);
//! - TLS is rustls only (aws-lc-rs, the platform's roots), for HTTP and SMTP alike: no
//!   OpenSSL, no native-tls.

pub mod channel;
pub mod error;
pub mod message;
pub mod notifier;
pub mod redact;
pub mod sign;

pub use crate::channel::{Channel, ChannelError, Security};
pub use crate::error::NotifyError;
pub use crate::message::{Level, Message};
pub use crate::notifier::{Delivery, MAX_ERROR_BODY, Notifier};
pub use crate::redact::{REDACTED, redact};
pub use crate::sign::{SIGNATURE_HEADER, TIMESTAMP_HEADER, signature, verify_signature};
