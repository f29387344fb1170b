//! The one error type of the crate. Each message names the server, zone or record at fault and
//! what to do about it; the control plane shows them to users as they are.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum DnsError {
    /// The server answered BADSIG, BADKEY or BADTIME for the TSIG-signed request.
    #[error(
        "the server {server} refused the TSIG key '{key_name}' ({reason}): check the key name, \
         algorithm and secret configured for this DNS provider match the server's{hint}"
    )]
    TsigRefused {
        server: String,
        key_name: String,
        reason: String,
        hint: String,
    },
    /// The server is not authoritative for the zone (NOTAUTH, NOTZONE, or the API has no such
    /// zone).
    #[error(
        "the server {server} does not serve the zone {zone} ({reason}): check the zone name, or \
         create the zone on the server first"
    )]
    ZoneNotServed {
        server: String,
        zone: String,
        reason: String,
    },
    /// No connection, or no answer in time.
    #[error("the DNS server {server} is unreachable: {reason}")]
    Unreachable { server: String, reason: String },
    /// The HTTP API refused the credentials.
    #[error(
        "the DNS API at {server} refused the API key (HTTP {status}): check the key configured \
         for this DNS provider"
    )]
    ApiAuth { server: String, status: u16 },
    /// The provider or server cannot do this; `hint` says what to do instead.
    #[error("{provider} cannot {operation}: {hint}")]
    Unsupported {
        provider: String,
        operation: String,
        hint: String,
    },
    /// The ownership registry: the RRset exists and WindFlow did not create it.
    #[error(
        "refusing to change {name} {record_type}: it exists and was not created by WindFlow \
         (no ownership marker TXT at {marker}); remove or rename it by hand, or pick another name"
    )]
    NotOwned {
        name: String,
        record_type: String,
        marker: String,
    },
    /// The ownership registry: another WindFlow owner (another installation) created it.
    #[error(
        "refusing to change {name} {record_type}: it belongs to WindFlow owner '{owner}', not \
         '{expected}'"
    )]
    OwnedByOther {
        name: String,
        record_type: String,
        owner: String,
        expected: String,
    },
    /// A CNAME cannot live next to other data at the same name.
    #[error("cannot write {name} {record_type}: {reason}")]
    Conflict {
        name: String,
        record_type: String,
        reason: String,
    },
    #[error("invalid domain name '{name}': {reason}")]
    InvalidName { name: String, reason: String },
    #[error("invalid {record_type} value '{value}': {reason}")]
    InvalidValue {
        record_type: String,
        value: String,
        reason: String,
    },
    #[error("invalid RRset {name} {record_type}: {reason}")]
    InvalidRrSet {
        name: String,
        record_type: String,
        reason: String,
    },
    #[error("invalid DNS provider configuration: {0}")]
    InvalidConfig(String),
    /// The server answered with an error code not covered above (REFUSED, SERVFAIL, …).
    #[error("the server {server} rejected the {operation} for zone {zone}: {reason}")]
    Rejected {
        server: String,
        zone: String,
        operation: String,
        reason: String,
    },
    /// The HTTP API answered with an unexpected status.
    #[error("the DNS API at {server} answered HTTP {status} to {operation}: {message}")]
    Api {
        server: String,
        operation: String,
        status: u16,
        message: String,
    },
    /// An answer that could not be read.
    #[error("unexpected answer from {server}: {reason}")]
    Protocol { server: String, reason: String },
}
