//! The DNS servers and tools of the tests live in `windflow_testkit::dns`, shared with the
//! control plane's tests.

pub use windflow_testkit::dns::*;
