//! When a scheduled backup, check or drill runs next: a 5-field cron expression read in an
//! IANA time zone (croner does the calendar, chrono-tz the zone rules).

use std::fmt;
use std::str::FromStr;

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;

/// A cron schedule in a time zone.
#[derive(Clone)]
pub struct Schedule {
    text: String,
    cron: Cron,
    zone: Tz,
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schedule({:?} in {})", self.text, self.zone)
    }
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text && self.zone == other.zone
    }
}

impl Schedule {
    /// Reads `expression` (5 fields: minute hour day-of-month month day-of-week, or an alias
    /// such as `@daily`) in `zone` (an IANA name; `UTC` when `None`).
    pub fn parse(expression: &str, zone: Option<&str>) -> Result<Schedule, String> {
        let text = expression.trim();
        let fields = text.split_whitespace().count();
        if !(text.starts_with('@') || fields == 5) {
            return Err(format!(
                "{text:?} is not a 5-field cron expression (minute hour day month weekday, e.g. \"0 3 * * *\")"
            ));
        }
        let cron = Cron::from_str(text).map_err(|e| format!("invalid schedule {text:?}: {e}"))?;
        let zone = match zone {
            None => Tz::UTC,
            Some(name) => name.parse::<Tz>().map_err(|_| {
                format!("unknown time zone {name:?} (an IANA name, e.g. Europe/Paris)")
            })?,
        };
        let schedule = Schedule {
            text: text.to_string(),
            cron,
            zone,
        };
        // An expression that never fires (e.g. 30 February) is refused up front.
        if schedule.next_after(0).is_none() {
            return Err(format!("the schedule {text:?} never fires"));
        }
        Ok(schedule)
    }

    pub fn expression(&self) -> &str {
        &self.text
    }

    pub fn zone(&self) -> &str {
        self.zone.name()
    }

    /// The first time strictly after `after_ms` (Unix milliseconds) the schedule fires, in
    /// Unix milliseconds.
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        let utc = Utc.timestamp_millis_opt(after_ms).single()?;
        let local = utc.with_timezone(&self.zone);
        let next = self.cron.find_next_occurrence(&local, false).ok()?;
        Some(next.with_timezone(&Utc).timestamp_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn next_run_in_a_time_zone() {
        // 2026-01-01T00:00:00Z; 03:00 in Paris (UTC+1 in winter) is 02:00Z.
        let start = 1_767_225_600_000;
        let s = Schedule::parse("0 3 * * *", Some("Europe/Paris")).unwrap();
        assert_eq!(s.next_after(start), Some(start + 2 * 3_600_000));
        let utc = Schedule::parse("0 3 * * *", None).unwrap();
        assert_eq!(utc.next_after(start), Some(start + 3 * 3_600_000));
        // Strictly after: from the firing instant, the next day's.
        assert_eq!(
            utc.next_after(start + 3 * 3_600_000),
            Some(start + DAY + 3 * 3_600_000)
        );
    }

    #[test]
    fn bad_schedules_are_refused_with_the_reason() {
        assert!(
            Schedule::parse("0 3 * *", None)
                .unwrap_err()
                .contains("5-field")
        );
        assert!(
            Schedule::parse("61 3 * * *", None)
                .unwrap_err()
                .contains("invalid schedule")
        );
        assert!(
            Schedule::parse("0 3 * * *", Some("Mars/Olympus"))
                .unwrap_err()
                .contains("unknown time zone")
        );
        assert!(Schedule::parse("@daily", None).is_ok());
    }
}
