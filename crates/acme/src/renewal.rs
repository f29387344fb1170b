//! The renewal policy, as pure functions of a certificate and the time.
//!
//! **Contract for the caller (the control plane's renewal job):** a renewal failure never
//! removes or replaces the working certificate. Keep serving the stored certificate until
//! a new one has been issued *and* stored; on failure record the attempt and schedule the
//! next one with `next_attempt_after_failure` (or the CA's `AcmeError::retry_after`, when
//! later). Nothing in this crate deletes a certificate.

use std::time::Duration;

use time::OffsetDateTime;

use crate::certificate::CertificateInfo;

/// The first retry waits this long after a failure.
pub const FIRST_RETRY_DELAY: Duration = Duration::from_secs(10 * 60);
/// Retries never wait longer than this.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(12 * 60 * 60);

/// When renewal becomes due: two thirds into the certificate's lifetime (day 60 of a
/// 90-day certificate, day 4 of a 6-day one).
pub fn renewal_time(info: &CertificateInfo) -> OffsetDateTime {
    let lifetime = info.not_after - info.not_before;
    info.not_before + lifetime * 2 / 3
}

/// Whether the certificate should be renewed at `now`.
pub fn renewal_due(info: &CertificateInfo, now: OffsetDateTime) -> bool {
    now >= renewal_time(info)
}

/// When to try again after `attempts` consecutive failures (1 after the first failure):
/// 10 minutes, doubling each time, at most 12 hours.
pub fn next_attempt_after_failure(attempts: u32, now: OffsetDateTime) -> OffsetDateTime {
    let doublings = attempts.saturating_sub(1).min(16);
    let delay = FIRST_RETRY_DELAY
        .saturating_mul(1u32 << doublings)
        .min(MAX_RETRY_DELAY);
    now + delay
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn info(not_before: OffsetDateTime, not_after: OffsetDateTime) -> CertificateInfo {
        CertificateInfo {
            sans: vec!["example.com".into()],
            subject: String::new(),
            issuer: String::new(),
            serial: "01".into(),
            not_before,
            not_after,
            key_algorithm: "ECDSA P-256".into(),
            sha256_fingerprint: String::new(),
            chain_length: 1,
        }
    }

    fn check_due(days_valid: i64, days_in: f64, expected: bool) {
        let start = datetime!(2026-01-01 00:00 UTC);
        let cert = info(start, start + time::Duration::days(days_valid));
        let now = start + time::Duration::seconds_f64(days_in * 86400.0);
        assert_eq!(
            renewal_due(&cert, now),
            expected,
            "{days_valid}-day certificate, {days_in} days in"
        );
    }

    #[test]
    fn renewal_is_due_two_thirds_into_the_lifetime() {
        check_due(90, 0.0, false);
        check_due(90, 59.9, false);
        check_due(90, 60.0, true);
        check_due(90, 89.0, true);
        check_due(90, 120.0, true); // expired: certainly due
        check_due(6, 3.9, false);
        check_due(6, 4.0, true);
        let start = datetime!(2026-01-01 00:00 UTC);
        assert_eq!(
            renewal_time(&info(start, start + time::Duration::days(90))),
            datetime!(2026-03-02 00:00 UTC)
        );
    }

    #[test]
    fn retries_back_off_exponentially_up_to_a_cap() {
        let now = datetime!(2026-01-01 00:00 UTC);
        let minutes = |attempts| (next_attempt_after_failure(attempts, now) - now).whole_minutes();
        let table: Vec<(u32, i64)> = vec![
            (0, 10),
            (1, 10),
            (2, 20),
            (3, 40),
            (4, 80),
            (5, 160),
            (6, 320),
            (7, 640),
            (8, 720),
            (9, 720),
            (100, 720),
            (u32::MAX, 720),
        ];
        for (attempts, expected) in table {
            assert_eq!(minutes(attempts), expected, "after {attempts} failures");
        }
    }
}
