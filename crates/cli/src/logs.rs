//! `windflow logs`: every container's log, merged, each line prefixed `service-N |` in a
//! colour of its own, following while containers live.

use futures::StreamExt;
use owo_colors::{AnsiColors, OwoColorize};
use windflow_engine::driver::{Driver, LogOptions, LogStream};

use crate::failure::Failure;
use crate::{Global, LogsArgs, Output, exit};

pub(crate) const COLOURS: [AnsiColors; 6] = [
    AnsiColors::Cyan,
    AnsiColors::Yellow,
    AnsiColors::Green,
    AnsiColors::Magenta,
    AnsiColors::Blue,
    AnsiColors::Red,
];

/// `--since`: a relative duration (`10m`, `1h30m`) or Unix seconds.
pub fn parse_since(text: &str, now: i64) -> Result<i64, String> {
    if let Ok(unix) = text.parse::<i64>() {
        return Ok(unix);
    }
    windflow_domain::units::parse_duration(text)
        .map(|d| now - d.as_secs() as i64)
        .map_err(|_| {
            format!("invalid --since {text:?}: use a duration like 10m or 2h, or Unix seconds")
        })
}

pub async fn run(
    g: &Global,
    driver: &dyn Driver,
    project: &str,
    args: &LogsArgs,
) -> Result<(), Failure> {
    let observed = driver.observe(project, None).await?;
    for s in &args.services {
        if !observed.containers.iter().any(|c| &c.service == s) {
            return Err(Failure::new(
                exit::FAILURE,
                format!("{project} has no service {s:?}"),
            ));
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let since = args
        .since
        .as_deref()
        .map(|s| parse_since(s, now))
        .transpose()
        .map_err(|e| Failure::new(exit::USAGE, e))?;
    let tail = match args.tail.as_str() {
        "all" | "-1" => None,
        n => Some(
            n.parse::<u64>()
                .map_err(|_| Failure::new(exit::USAGE, format!("invalid --tail {n:?}")))?,
        ),
    };
    let options = LogOptions {
        follow: args.follow,
        tail,
        since,
        timestamps: args.timestamps,
    };
    let containers: Vec<_> = observed
        .containers
        .iter()
        .filter(|c| args.services.is_empty() || args.services.contains(&c.service))
        .collect();
    let width = containers
        .iter()
        .map(|c| prefix(project, &c.name).len())
        .max()
        .unwrap_or(0);
    let colour = !args.no_color
        && std::env::var_os("NO_COLOR").is_none()
        && std::io::IsTerminal::is_terminal(&std::io::stdout())
        && g.output == Output::Text;
    let mut streams = Vec::new();
    for (i, c) in containers.iter().enumerate() {
        let stream = driver.logs(&c.id, options.clone()).await?;
        let label = format!("{:width$}", prefix(project, &c.name));
        let name = c.name.clone();
        let service = c.service.clone();
        streams.push(
            stream
                .map(move |line| (i, label.clone(), name.clone(), service.clone(), line))
                .boxed(),
        );
    }
    let mut merged = futures::stream::select_all(streams);
    while let Some((i, label, name, service, line)) = merged.next().await {
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                eprintln!("{}", crate::render::warning_text(&e.to_string()));
                continue;
            }
        };
        if g.output == Output::Json {
            let stream = if line.stream == LogStream::Stderr {
                "stderr"
            } else {
                "stdout"
            };
            println!(
                "{}",
                serde_json::json!({ "container": name, "service": service, "stream": stream, "line": line.text })
            );
        } else if args.no_log_prefix {
            println!("{}", line.text);
        } else if colour {
            println!(
                "{} {}",
                format!("{label} |").color(COLOURS[i % COLOURS.len()]),
                line.text
            );
        } else {
            println!("{label} | {}", line.text);
        }
    }
    Ok(())
}

/// `shop-web-1` → `web-1`, as compose prints it.
pub(crate) fn prefix(project: &str, name: &str) -> String {
    name.strip_prefix(&format!("{project}-"))
        .unwrap_or(name)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_durations_and_timestamps() {
        assert_eq!(parse_since("10m", 1000), Ok(400));
        assert_eq!(parse_since("1700000000", 0), Ok(1_700_000_000));
        assert!(parse_since("yesterday", 0).is_err());
    }
}
