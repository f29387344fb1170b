//! What a target holds, for people browsing it: every container (whether WindFlow deployed it
//! or not), image, network and volume, plus a container's resource usage. Unlike
//! `windflow_domain::observed`, which the planner reads for one project, these types describe
//! the whole engine and carry display fields (sizes, creation times, stack labels).

use serde::{Deserialize, Serialize};
use windflow_domain::observed::ContainerState;

/// Everything one engine holds, each list sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    pub containers: Vec<ContainerSummary>,
    pub images: Vec<ImageSummary>,
    pub networks: Vec<NetworkSummary>,
    pub volumes: Vec<VolumeSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerSummary {
    pub id: String,
    pub name: String,
    /// The image reference the container was created from.
    pub image: String,
    pub state: ContainerState,
    /// The engine's human status (`Up 3 minutes (healthy)`).
    pub status: String,
    /// The compose project (stack) label, when the container belongs to one.
    pub project: Option<String>,
    /// The compose service label.
    pub service: Option<String>,
    pub ports: Vec<PortMapping>,
    /// Unix seconds.
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortMapping {
    pub host_ip: Option<String>,
    pub host_port: Option<u16>,
    pub container_port: u16,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSummary {
    pub id: String,
    /// `repo:tag` references; empty for a dangling image.
    pub tags: Vec<String>,
    pub size_bytes: i64,
    /// Unix seconds.
    pub created: i64,
    /// Containers using it, when the engine counted them (-1 otherwise).
    pub containers: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkSummary {
    pub id: String,
    pub name: String,
    pub driver: String,
    pub scope: String,
    pub internal: bool,
    pub project: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeSummary {
    pub name: String,
    pub driver: String,
    pub mountpoint: String,
    pub project: Option<String>,
}

/// One sample of a running container's resource usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerStats {
    pub id: String,
    /// CPU use over the engine's last sampling interval, in percent of one core
    /// (200.0 = two cores busy), as `docker stats` shows it.
    pub cpu_percent: f64,
    pub memory_bytes: u64,
    /// The container's memory limit, or the host's memory when it has none.
    pub memory_limit_bytes: u64,
}

impl ContainerStats {
    /// Computes a sample from the engine's cumulative counters: CPU time and system time now
    /// and one interval earlier (nanoseconds), the number of online CPUs, and memory usage
    /// minus the page cache the kernel can reclaim.
    pub fn from_counters(id: String, counters: StatsCounters) -> Self {
        let cpu_delta = counters.cpu_total.saturating_sub(counters.precpu_total) as f64;
        let system_delta = counters
            .system_total
            .saturating_sub(counters.presystem_total) as f64;
        let has_previous = counters.presystem_total > 0;
        let cpu_percent = if has_previous && system_delta > 0.0 && cpu_delta > 0.0 {
            cpu_delta / system_delta * f64::from(counters.online_cpus.max(1)) * 100.0
        } else {
            0.0
        };
        Self {
            id,
            cpu_percent,
            memory_bytes: counters.memory_usage.saturating_sub(counters.memory_cache),
            memory_limit_bytes: counters.memory_limit,
        }
    }
}

/// The raw counters of one stats sample (see [`ContainerStats::from_counters`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsCounters {
    pub cpu_total: u64,
    pub precpu_total: u64,
    pub system_total: u64,
    pub presystem_total: u64,
    pub online_cpus: u32,
    pub memory_usage: u64,
    pub memory_cache: u64,
    pub memory_limit: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(counters: StatsCounters, cpu_percent: f64, memory_bytes: u64) {
        let s = ContainerStats::from_counters("c".into(), counters);
        assert!(
            (s.cpu_percent - cpu_percent).abs() < 1e-9,
            "{} != {cpu_percent}",
            s.cpu_percent
        );
        assert_eq!(s.memory_bytes, memory_bytes);
    }

    #[test]
    fn cpu_and_memory_from_counters() {
        // Half of one of two CPUs' system time → 50% of one core.
        check(
            StatsCounters {
                cpu_total: 1_500,
                precpu_total: 1_000,
                system_total: 3_000,
                presystem_total: 1_000,
                online_cpus: 2,
                memory_usage: 10_000,
                memory_cache: 4_000,
                memory_limit: 1 << 30,
            },
            50.0,
            6_000,
        );
        // The first sample has no previous one: no CPU figure rather than a huge one.
        check(
            StatsCounters {
                cpu_total: 1_500,
                system_total: 3_000,
                online_cpus: 2,
                memory_usage: 100,
                memory_cache: 200,
                ..Default::default()
            },
            0.0,
            0,
        );
        check(StatsCounters::default(), 0.0, 0);
    }
}
