//! DNS messages over TCP: one request, its answer (or the answers of a zone transfer),
//! TSIG-signed when a key is given, with the server's error codes turned into [`DnsError`]s.
//! Also the conversions between this crate's record types and hickory's.
//!
//! The exchange is written here rather than through hickory's client because the client
//! reports a refused TSIG key as a failed signature check on the answer, losing the server's
//! BADSIG/BADKEY and the response code WindFlow's errors are built from.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hickory_net::proto::op::{Edns, Message, ResponseCode};
use hickory_net::proto::rr::rdata::{A, AAAA, CNAME, MX, NS, TXT};
use hickory_net::proto::rr::{Name, RData, Record as WireRecord, RecordType as WireType, TSigner};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::DnsError;
use crate::record::{DomainName, Record, RecordType, RecordValue};

/// What the request is, for error messages.
pub(crate) struct Context<'a> {
    pub server: SocketAddr,
    pub zone: &'a str,
    pub operation: &'a str,
    pub key_name: Option<&'a str>,
}

/// How many messages answer the request.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answers {
    One,
    /// AXFR: messages until the closing SOA.
    ZoneTransfer,
}

/// Sends `message` to `ctx.server` over TCP and returns the answer(s), failing on any error
/// response code. With `signer`, the request is TSIG-signed and the answers' signatures are
/// verified.
pub(crate) async fn exchange(
    ctx: &Context<'_>,
    mut message: Message,
    signer: Option<&TSigner>,
    answers: Answers,
    timeout: Duration,
) -> Result<Vec<Message>, DnsError> {
    let unreachable = |reason: String| DnsError::Unreachable {
        server: ctx.server.to_string(),
        reason,
    };
    let protocol = |reason: String| DnsError::Protocol {
        server: ctx.server.to_string(),
        reason,
    };
    let mut verifier = match signer {
        Some(signer) => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            message
                .finalize(signer, now)
                .map_err(|e| protocol(format!("cannot sign the request: {e}")))?
        }
        None => None,
    };
    let id = message.metadata.id;
    let bytes = message
        .to_vec()
        .map_err(|e| protocol(format!("cannot encode the request: {e}")))?;
    let length = u16::try_from(bytes.len())
        .map_err(|_| protocol("the request is larger than 64 KiB".to_string()))?;

    let conversation = async {
        let mut stream = TcpStream::connect(ctx.server)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let mut framed = Vec::with_capacity(bytes.len() + 2);
        framed.extend_from_slice(&length.to_be_bytes());
        framed.extend_from_slice(&bytes);
        stream
            .write_all(&framed)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let mut messages = Vec::new();
        let mut soa_seen = 0;
        loop {
            let mut length = [0u8; 2];
            stream.read_exact(&mut length).await.map_err(|e| {
                unreachable(format!("the connection closed before the answer: {e}"))
            })?;
            let mut buffer = vec![0u8; usize::from(u16::from_be_bytes(length))];
            stream
                .read_exact(&mut buffer)
                .await
                .map_err(|e| unreachable(format!("the answer was cut short: {e}")))?;
            let response = Message::from_vec(&buffer)
                .map_err(|e| protocol(format!("cannot decode the answer: {e}")))?;
            if response.metadata.id != id {
                return Err(protocol("the answer has another message id".to_string()));
            }
            check_response(ctx, &response)?;
            if let Some(verifier) = verifier.as_mut() {
                verifier.verify(&buffer).map_err(|e| {
                    protocol(format!("the answer's TSIG signature does not verify: {e}"))
                })?;
            }
            soa_seen += response
                .answers
                .iter()
                .filter(|r| r.record_type() == WireType::SOA)
                .count();
            let first_empty = messages.is_empty() && response.answers.is_empty();
            messages.push(response);
            if answers == Answers::One || soa_seen >= 2 || first_empty {
                return Ok(messages);
            }
        }
    };
    tokio::time::timeout(timeout, conversation)
        .await
        .map_err(|_| unreachable(format!("no answer within {} s", timeout.as_secs_f32())))?
}

/// Turns an error answer into the matching [`DnsError`].
fn check_response(ctx: &Context<'_>, response: &Message) -> Result<(), DnsError> {
    if let Some(tsig) = response.signature()
        && let Some(error) = tsig.data.error
    {
        let reason = format!("{error:?}").to_uppercase();
        let hint = if reason == "BADTIME" {
            "; the clocks of this machine and the server differ by more than the allowed fudge"
        } else {
            ""
        };
        return Err(DnsError::TsigRefused {
            server: ctx.server.to_string(),
            key_name: ctx.key_name.unwrap_or("(none)").to_string(),
            reason,
            hint: hint.to_string(),
        });
    }
    let code = response.metadata.response_code;
    match code {
        ResponseCode::NoError => Ok(()),
        // A name that does not exist is an answer, not a failure (health checks read it).
        ResponseCode::NXDomain if ctx.operation.ends_with("query") => Ok(()),
        // A server that does not serve the name refuses; the health check reports that as
        // "not authoritative" from the missing AA flag.
        ResponseCode::Refused if ctx.operation == "health query" => Ok(()),
        ResponseCode::NotAuth | ResponseCode::NotZone => Err(DnsError::ZoneNotServed {
            server: ctx.server.to_string(),
            zone: ctx.zone.to_string(),
            reason: code.to_str().to_uppercase(),
        }),
        ResponseCode::Refused => Err(DnsError::Rejected {
            server: ctx.server.to_string(),
            zone: ctx.zone.to_string(),
            operation: ctx.operation.to_string(),
            reason: match ctx.key_name {
                Some(key) => format!(
                    "REFUSED: the server does not allow the key '{key}' this operation \
                     (its ACL for the zone must allow updates and transfers with that key)"
                ),
                None => "REFUSED: the server requires a TSIG key for this operation".to_string(),
            },
        }),
        other => Err(DnsError::Rejected {
            server: ctx.server.to_string(),
            zone: ctx.zone.to_string(),
            operation: ctx.operation.to_string(),
            reason: other.to_str().to_uppercase(),
        }),
    }
}

/// A query message for one name and type, without recursion, optionally asking for DNSSEC
/// records.
pub(crate) fn query_message(name: &DomainName, record_type: WireType, dnssec: bool) -> Message {
    let mut message = Message::query();
    message.metadata.recursion_desired = false;
    message.add_query(hickory_net::proto::op::Query::query(
        wire_name(name),
        record_type,
    ));
    let mut edns = Edns::new();
    edns.set_max_payload(4096);
    edns.flags_mut().dnssec_ok = dnssec;
    message.set_edns(edns);
    message
}

pub(crate) fn wire_name(name: &DomainName) -> Name {
    // DomainName only holds letters, digits, '-', '_' and '*', which hickory always accepts.
    Name::from_ascii(name.as_str()).unwrap_or_else(|_| Name::root())
}

pub(crate) fn wire_type(record_type: RecordType) -> WireType {
    WireType::from(record_type.code())
}

/// The wire form of a value.
pub(crate) fn wire_rdata(value: &RecordValue) -> Result<RData, DnsError> {
    Ok(match value {
        RecordValue::A(ip) => RData::A(A(*ip)),
        RecordValue::Aaaa(ip) => RData::AAAA(AAAA(*ip)),
        RecordValue::Cname(name) => RData::CNAME(CNAME(wire_name(name))),
        RecordValue::Ns(name) => RData::NS(NS(wire_name(name))),
        RecordValue::Mx {
            preference,
            exchange,
        } => RData::MX(MX::new(*preference, wire_name(exchange))),
        RecordValue::Txt(text) => {
            let bytes = text.as_bytes();
            let chunks: Vec<&[u8]> = if bytes.is_empty() {
                vec![&[]]
            } else {
                bytes.chunks(255).collect()
            };
            RData::TXT(TXT::from_bytes(chunks))
        }
        RecordValue::Other { record_type, text } => {
            RData::try_from_str(wire_type(*record_type), text).map_err(|e| {
                DnsError::InvalidValue {
                    record_type: record_type.to_string(),
                    value: text.clone(),
                    reason: e.to_string(),
                }
            })?
        }
    })
}

/// This crate's form of a wire record; `None` for names this crate cannot hold (escaped
/// bytes), which are never names WindFlow writes.
pub(crate) fn from_wire(record: &WireRecord) -> Option<Record> {
    let name = DomainName::parse(&record.name.to_ascii()).ok()?;
    let domain = |name: &Name| DomainName::parse(&name.to_ascii()).ok();
    let value = match &record.data {
        RData::A(a) => Some(RecordValue::A(a.0)),
        RData::AAAA(aaaa) => Some(RecordValue::Aaaa(aaaa.0)),
        RData::CNAME(cname) => domain(&cname.0).map(RecordValue::Cname),
        RData::NS(ns) => domain(&ns.0).map(RecordValue::Ns),
        RData::MX(mx) => domain(&mx.exchange).map(|exchange| RecordValue::Mx {
            preference: mx.preference,
            exchange,
        }),
        RData::TXT(txt) => {
            let bytes: Vec<u8> = txt
                .txt_data
                .iter()
                .flat_map(|s| s.iter().copied())
                .collect();
            String::from_utf8(bytes).ok().map(RecordValue::Txt)
        }
        _ => None,
    };
    // Data this crate cannot model is kept as text: the RRset must still be seen to exist,
    // or the ownership registry would take it for free.
    let value = value.unwrap_or_else(|| RecordValue::Other {
        record_type: RecordType::from_code(u16::from(record.record_type())),
        text: record.data.to_string(),
    });
    Some(Record {
        name,
        ttl: record.ttl,
        value,
    })
}
