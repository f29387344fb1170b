//! Live fan-out of deployment events. Each running deployment has a broadcast channel; a
//! subscriber that falls behind is told it lagged and catches up from the store, so a slow
//! client never slows a deployment (publishing never waits).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;
use windflow_storage::DeploymentEvent;

const CAPACITY: usize = 1024;

#[derive(Default)]
pub struct EventHub {
    channels: Mutex<HashMap<String, broadcast::Sender<Arc<DeploymentEvent>>>>,
}

impl EventHub {
    pub fn subscribe(&self, deployment_id: &str) -> broadcast::Receiver<Arc<DeploymentEvent>> {
        let mut map = self.channels.lock().expect("event hub");
        map.entry(deployment_id.to_string())
            .or_insert_with(|| broadcast::channel(CAPACITY).0)
            .subscribe()
    }

    pub fn publish(&self, event: Arc<DeploymentEvent>) {
        let map = self.channels.lock().expect("event hub");
        if let Some(sender) = map.get(&event.deployment_id) {
            let _ = sender.send(event);
        }
    }

    /// The deployment ended: subscribers see the channel close after its last event.
    pub fn close(&self, deployment_id: &str) {
        self.channels
            .lock()
            .expect("event hub")
            .remove(deployment_id);
    }

    pub fn subscribers(&self) -> usize {
        self.channels
            .lock()
            .expect("event hub")
            .values()
            .map(|s| s.receiver_count())
            .sum()
    }
}
