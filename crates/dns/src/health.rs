//! Does each authoritative server serve what WindFlow wrote? Each server is asked directly
//! (no recursion, over TCP) for each expected RRset; the result per server and record is data
//! the control plane turns into events.

use std::net::SocketAddr;
use std::time::Duration;

use crate::error::DnsError;
use crate::record::{DomainName, RecordType, RecordValue, RrSet};
use crate::wire::{self, Answers, Context};

/// What one server answered for one expected RRset.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum CheckOutcome {
    /// The server answers authoritatively with exactly the expected values.
    Match,
    /// It answers other values (`found` in presentation format order).
    Mismatch { found: Vec<RecordValue> },
    /// The name or the type does not exist there.
    Missing,
    /// The server answered without authority: it does not serve the zone.
    NotAuthoritative,
    /// No usable answer (unreachable, refused, …).
    Failed(String),
}

/// One line of a health check.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RecordCheck {
    pub server: SocketAddr,
    pub name: DomainName,
    pub record_type: RecordType,
    pub outcome: CheckOutcome,
}

impl RecordCheck {
    pub fn is_match(&self) -> bool {
        self.outcome == CheckOutcome::Match
    }
}

/// How many queries are in flight at once.
const PARALLEL_QUERIES: usize = 16;

/// Asks every server for every expected RRset (a few queries at a time); one
/// [`RecordCheck`] per pair, in the order servers × records.
pub async fn check_records(
    servers: &[SocketAddr],
    expected: &[RrSet],
    timeout: Duration,
) -> Vec<RecordCheck> {
    use futures::StreamExt as _;
    // Owned pairs: a stream over borrowing closures would not be `Send` for every lifetime,
    // and the control plane runs this in a spawned task.
    let pairs: Vec<(SocketAddr, RrSet)> = servers
        .iter()
        .flat_map(|server| expected.iter().map(move |rrset| (*server, rrset.clone())))
        .collect();
    futures::stream::iter(pairs)
        .map(|(server, rrset)| async move { check_one(server, &rrset, timeout).await })
        .buffered(PARALLEL_QUERIES)
        .collect()
        .await
}

async fn check_one(server: SocketAddr, expected: &RrSet, timeout: Duration) -> RecordCheck {
    let outcome = match ask(server, expected, timeout).await {
        Ok(outcome) => outcome,
        Err(error) => CheckOutcome::Failed(error.to_string()),
    };
    RecordCheck {
        server,
        name: expected.name.clone(),
        record_type: expected.record_type,
        outcome,
    }
}

async fn ask(
    server: SocketAddr,
    expected: &RrSet,
    timeout: Duration,
) -> Result<CheckOutcome, DnsError> {
    let message = wire::query_message(&expected.name, wire::wire_type(expected.record_type), false);
    let context = Context {
        server,
        zone: expected.name.as_str(),
        operation: "health query",
        key_name: None,
    };
    let answers = wire::exchange(&context, message, None, Answers::One, timeout).await?;
    let Some(answer) = answers.into_iter().next() else {
        return Ok(CheckOutcome::Missing);
    };
    if !answer.metadata.authoritative {
        return Ok(CheckOutcome::NotAuthoritative);
    }
    let found: Vec<RecordValue> = answer
        .answers
        .iter()
        .filter_map(wire::from_wire)
        // A CNAME at the name answers for every type: report it as what is found.
        .filter(|r| {
            r.name == expected.name
                && (r.value.record_type() == expected.record_type
                    || r.value.record_type() == RecordType::Cname)
        })
        .map(|r| r.value)
        .collect();
    if found.is_empty() {
        return Ok(CheckOutcome::Missing);
    }
    let found_set = RrSet {
        name: expected.name.clone(),
        record_type: expected.record_type,
        ttl: expected.ttl,
        values: found,
    };
    if found_set.sorted_values() == expected.sorted_values() {
        Ok(CheckOutcome::Match)
    } else {
        Ok(CheckOutcome::Mismatch {
            found: found_set.values,
        })
    }
}
