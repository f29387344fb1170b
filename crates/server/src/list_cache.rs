//! Rendered answers of the hottest list (`GET …/stacks`), kept for two seconds and dropped
//! at once when this process changes a stack of the organization. Another server instance
//! sharing a PostgreSQL database sees such a change within the two seconds.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;

const TTL: Duration = Duration::from_secs(2);
const MAX_ENTRIES: usize = 4096;

#[derive(Default)]
pub struct ListCache {
    entries: Mutex<HashMap<String, (Bytes, Instant)>>,
}

impl ListCache {
    /// The key of one organization's list with its query.
    pub fn key(org_id: &str, query: &str) -> String {
        format!("{org_id}|{query}")
    }

    pub fn get(&self, key: &str) -> Option<Bytes> {
        let entries = self.entries.lock().expect("list cache");
        entries
            .get(key)
            .filter(|(_, at)| at.elapsed() < TTL)
            .map(|(body, _)| body.clone())
    }

    pub fn put(&self, key: String, body: Bytes) {
        let mut entries = self.entries.lock().expect("list cache");
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (_, at)| at.elapsed() < TTL);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (body, Instant::now()));
    }

    /// Forgets every list of the organization.
    pub fn invalidate(&self, org_id: &str) {
        let prefix = format!("{org_id}|");
        self.entries
            .lock()
            .expect("list cache")
            .retain(|k, _| !k.starts_with(&prefix));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalidation_is_per_organization() {
        let cache = ListCache::default();
        cache.put(ListCache::key("a", "q"), Bytes::from_static(b"1"));
        cache.put(ListCache::key("b", "q"), Bytes::from_static(b"2"));
        cache.invalidate("a");
        assert!(cache.get(&ListCache::key("a", "q")).is_none());
        assert_eq!(cache.get(&ListCache::key("b", "q")).unwrap(), "2");
    }
}
