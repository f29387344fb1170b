//! windflow-dns against real servers: Knot (RFC 2136 + TSIG, automatic DNSSEC) and PowerDNS
//! (HTTP API, DNSSEC through cryptokeys), each started per test on loopback. Results are
//! checked the way a user would: `dig`, `delv` with the crate's DS as trust anchor, `keymgr`
//! and `pdnsutil`. Skipped only with WINDFLOW_SKIP_DNS_TESTS=1 outside CI.

mod conformance;
mod health;
mod knot;
mod powerdns;
mod servers;
