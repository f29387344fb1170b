//! Rendering the engine's event stream: progress bars on a terminal, plain lines otherwise,
//! JSON lines with `--output json`. Progress goes to stderr; results go to stdout.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use owo_colors::{OwoColorize, Stream};
use tokio::sync::mpsc::UnboundedReceiver;
use windflow_engine::events::{Event, EventKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Bars,
    Plain,
    Json,
}

impl Mode {
    pub fn choose(json: bool, plain: bool) -> Self {
        if json {
            Self::Json
        } else if plain || !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
            Self::Plain
        } else {
            Self::Bars
        }
    }
}

pub fn error_text(message: &str) -> String {
    format!(
        "{} {message}",
        "error:".if_supports_color(Stream::Stderr, |t| t.red().bold().to_string())
    )
}

pub fn warning_text(message: &str) -> String {
    format!(
        "{} {message}",
        "warning:".if_supports_color(Stream::Stderr, |t| t.yellow().bold().to_string())
    )
}

fn ok_mark() -> String {
    "✔"
        .if_supports_color(Stream::Stderr, |t| t.green().to_string())
        .to_string()
}

fn fail_mark() -> String {
    "✘"
        .if_supports_color(Stream::Stderr, |t| t.red().to_string())
        .to_string()
}

fn seconds(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

/// Consumes events until the sender side is dropped.
pub async fn render(mode: Mode, mut events: UnboundedReceiver<Event>) {
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
    let style =
        ProgressStyle::with_template("{spinner:.cyan} {prefix:.bold} {wide_msg:.dim} {elapsed:>4}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let mut bars: HashMap<usize, ProgressBar> = HashMap::new();
    let mut layers: HashMap<usize, HashMap<String, (u64, u64)>> = HashMap::new();
    while let Some(event) = events.recv().await {
        if mode == Mode::Json {
            if let Ok(line) = serde_json::to_string(&event) {
                println!("{line}");
            }
            continue;
        }
        let print = |line: String| {
            if mode == Mode::Bars {
                let _ = multi.println(line);
            } else {
                eprintln!("{line}");
            }
        };
        match event.kind {
            EventKind::Planned { changes } if changes.is_empty() => {}
            EventKind::Planned { changes } => {
                for change in changes {
                    print(format!("  {change}"));
                }
            }
            EventKind::StepStarted { step, label } => match mode {
                Mode::Bars => {
                    let bar = multi.add(ProgressBar::new_spinner());
                    bar.set_style(style.clone());
                    bar.set_prefix(label);
                    bar.enable_steady_tick(Duration::from_millis(100));
                    bars.insert(step, bar);
                }
                _ => print(format!("=> {label}")),
            },
            EventKind::StepProgress {
                step,
                id,
                message,
                current,
                total,
            } => {
                let text = if id.is_empty() {
                    message.clone()
                } else {
                    let entry = layers.entry(step).or_default();
                    if let (Some(c), Some(t)) = (current, total) {
                        entry.insert(id.clone(), (c, t));
                    }
                    let (done, all) = entry.values().fold((0, 0), |(d, a), (c, t)| (d + c, a + t));
                    if all > 0 {
                        format!(
                            "{message} {:.1}/{:.1} MB ({} layers)",
                            done as f64 / 1e6,
                            all as f64 / 1e6,
                            entry.len()
                        )
                    } else {
                        format!("{id}: {message}")
                    }
                };
                match (mode, bars.get(&step)) {
                    (Mode::Bars, Some(bar)) => bar.set_message(text),
                    // Plain output keeps build lines and layer status changes, not byte counts.
                    _ if id.is_empty() || current.is_none() => print(format!("   {text}")),
                    _ => {}
                }
            }
            EventKind::StepFinished {
                step,
                label,
                elapsed_ms,
                error,
            } => {
                let line = match &error {
                    None => format!("{} {label} {}", ok_mark(), seconds(elapsed_ms)),
                    Some(_) => format!("{} {label} failed", fail_mark()),
                };
                match bars.remove(&step) {
                    Some(bar) => {
                        bar.finish_and_clear();
                        multi.remove(&bar);
                        print(line);
                    }
                    None => print(line),
                }
            }
            EventKind::ServiceState { service, state, .. } if mode == Mode::Plain => {
                if state != "failed" {
                    print(format!("   {service} {state}"));
                }
            }
            EventKind::ServiceState { .. } => {}
            EventKind::Warning { message } => print(warning_text(&message)),
            EventKind::RollbackStarted { .. } => print(format!(
                "{} rolling back to the previous version",
                fail_mark()
            )),
            EventKind::RollbackAction { message, error } => match error {
                None => print(format!("  ↺ {message}")),
                Some(e) => print(format!("  {} {message}: {e}", fail_mark())),
            },
            EventKind::RollbackFinished { .. } | EventKind::Finished { .. } => {}
        }
    }
    for bar in bars.values() {
        bar.finish_and_clear();
    }
}

/// A value as pretty JSON on stdout (`--output json` of read verbs).
pub fn print_json(value: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// A borderless table with these column titles, the look of every listing.
pub fn table<const N: usize>(header: [&str; N]) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::NOTHING)
        .set_header(header);
    table
}

/// A byte count for people: `512 B`, `1.5 KiB`, `2.0 MiB`, `1.2 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A duration for people: `850ms`, `3.4s`, `2m05s`, `1h02m`.
pub fn duration(ms: u64) -> String {
    match ms {
        0..1_000 => format!("{ms}ms"),
        1_000..60_000 => seconds(ms),
        60_000..3_600_000 => format!("{}m{:02}s", ms / 60_000, ms % 60_000 / 1000),
        _ => format!("{}h{:02}m", ms / 3_600_000, ms % 3_600_000 / 60_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_read_in_binary_units() {
        for (n, text) in [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (1536, "1.5 KiB"),
            (2 * 1024 * 1024, "2.0 MiB"),
            (5 * 1024_u64.pow(4), "5.0 TiB"),
            (u64::MAX, "16.0 EiB"),
        ] {
            assert_eq!(bytes(n), text, "{n}");
        }
    }

    #[test]
    fn durations_read_in_the_largest_useful_unit() {
        for (ms, text) in [
            (850, "850ms"),
            (3_400, "3.4s"),
            (125_000, "2m05s"),
            (3_720_000, "1h02m"),
        ] {
            assert_eq!(duration(ms), text, "{ms}");
        }
    }
}
