//! Second factors (TOTP with one-time recovery codes) and organizations' login policies.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// The problem `type` of a login that needs a second factor: send the login again with
/// `code` (a TOTP code or a recovery code).
pub const SECOND_FACTOR_REQUIRED: &str = "https://windflow.dev/problems/second-factor-required";
/// The problem `type` of a request on an organization whose login policy requires a second
/// factor the caller has not enrolled: enrol one at `POST /api/v1/auth/factors/totp`.
pub const SECOND_FACTOR_ENROLMENT_REQUIRED: &str =
    "https://windflow.dev/problems/second-factor-enrolment-required";

/// Start a TOTP enrolment: your current password, again.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StartTotpRequest {
    pub password: String,
}

/// A pending TOTP factor: add it to an authenticator app (scan `qr_svg` or type `secret`),
/// then prove one code at `POST /auth/factors/totp/confirm`. The secret is shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TotpEnrolment {
    /// The shared secret, base32 (RFC 4648, no padding).
    pub secret: String,
    /// `otpauth://totp/…` (SHA-1, 6 digits, 30 s).
    pub otpauth_uri: String,
    /// The URI as a QR code, an SVG document.
    pub qr_svg: String,
}

/// A code from the authenticator app (or, where said, a recovery code).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SecondFactorCode {
    pub code: String,
}

/// One-time recovery codes: each logs in once in place of a TOTP code. Shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecoveryCodes {
    pub codes: Vec<String>,
}

/// Remove your TOTP factor: your password or a current code (TOTP or recovery).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct RemoveTotpRequest {
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecondFactorKind {
    Totp,
}

/// One of your second factors.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SecondFactor {
    pub kind: SecondFactorKind,
    /// False while the enrolment waits for its first code; a pending factor does not count.
    pub confirmed: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// Unused recovery codes left.
    pub recovery_codes_left: i64,
}

/// Who in an organization must have a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecondFactorRequirement {
    #[default]
    None,
    /// Members whose role is admin or owner.
    Admins,
    All,
}

/// Whether members may log in with a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PasswordLoginPolicy {
    #[default]
    Allowed,
    /// Members must use single sign-on; server administrators keep password login (the
    /// break-glass).
    Disabled,
}

/// An organization's login policy.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginPolicy {
    pub require_second_factor: SecondFactorRequirement,
    pub password_login: PasswordLoginPolicy,
    /// Who changed it last (none: never changed, the defaults).
    #[serde(default)]
    pub updated_by: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SetLoginPolicyRequest {
    pub require_second_factor: SecondFactorRequirement,
    pub password_login: PasswordLoginPolicy,
}
