use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("must be epoch milliseconds (a non-negative integer) or an RFC 3339 timestamp")]
    Format,
    #[error("is in the past ({0})")]
    InPast(String),
    #[error("is more than {days} days ahead ({at})")]
    TooFarAhead { days: u32, at: String },
}

/// Accepts epoch milliseconds or an RFC 3339 string, the two forms the API documents.
pub fn parse_start_at(value: &Value) -> Result<DateTime<Utc>, TimeError> {
    match value {
        Value::Number(n) => {
            let ms = n.as_i64().filter(|ms| *ms >= 0).ok_or(TimeError::Format)?;
            Utc.timestamp_millis_opt(ms)
                .single()
                .ok_or(TimeError::Format)
        }
        Value::String(s) => parse_rfc3339(s),
        _ => Err(TimeError::Format),
    }
}

pub fn parse_rfc3339(s: &str) -> Result<DateTime<Utc>, TimeError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| TimeError::Format)
}

/// RFC 3339 in UTC with a `Z` and milliseconds: the format of `LastUpdated`, which
/// sorts lexicographically in time order (the GSIs rely on that).
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A stored time as the API shows it: an RFC 3339 text in [`format_timestamp`]'s form
/// (`...09:00:00Z` and `...10:00:00+01:00` both read `...09:00:00.000Z`); any other text as
/// it is. Executions started from the console or the aws CLI store their input's timestamps as
/// given, the API stores them normalised: readers show both alike.
pub fn normalise_timestamp(text: &str) -> String {
    parse_rfc3339(text).map_or_else(|_| text.to_owned(), format_timestamp)
}

/// [`format_timestamp`] of epoch milliseconds, the unit Step Functions reports dates in; a
/// value out of range reads as the epoch.
pub fn format_epoch_millis(ms: i64) -> String {
    format_timestamp(DateTime::from_timestamp_millis(ms).unwrap_or_default())
}

/// Refuses instants before `now` or more than `max_ahead_days` after it.
pub fn within_window(
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    max_ahead_days: u32,
) -> Result<(), TimeError> {
    if at < now {
        return Err(TimeError::InPast(format_timestamp(at)));
    }
    if at > now + Duration::days(i64::from(max_ahead_days)) {
        return Err(TimeError::TooFarAhead {
            days: max_ahead_days,
            at: format_timestamp(at),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_epoch_ms_and_rfc3339() {
        let a = parse_start_at(&json!(1510842801000_i64)).unwrap();
        let b = parse_start_at(&json!("2017-11-16T14:33:21Z")).unwrap();
        let c = parse_start_at(&json!("2017-11-16T15:33:21+01:00")).unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(format_timestamp(a), "2017-11-16T14:33:21.000Z");
        assert_eq!(
            format_epoch_millis(1510842801007),
            "2017-11-16T14:33:21.007Z"
        );
        assert_eq!(format_epoch_millis(i64::MAX), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn normalises_rfc3339_text_and_keeps_anything_else() {
        assert_eq!(
            normalise_timestamp("2027-06-01T09:00:00Z"),
            "2027-06-01T09:00:00.000Z"
        );
        assert_eq!(
            normalise_timestamp("2027-06-01T11:00:00.5+02:00"),
            "2027-06-01T09:00:00.500Z"
        );
        assert_eq!(
            normalise_timestamp("2027-06-01T09:00:00.000Z"),
            "2027-06-01T09:00:00.000Z"
        );
        assert_eq!(normalise_timestamp("tomorrow"), "tomorrow");
    }

    #[test]
    fn refuses_other_shapes() {
        for v in [
            json!(-1),
            json!(1.5),
            json!("tomorrow"),
            json!(null),
            json!([]),
        ] {
            assert_eq!(parse_start_at(&v), Err(TimeError::Format), "{v}");
        }
    }

    #[test]
    fn window() {
        let now = parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
        assert!(within_window(now, now, 365).is_ok());
        assert!(matches!(
            within_window(now - Duration::seconds(1), now, 365),
            Err(TimeError::InPast(_))
        ));
        assert!(within_window(now + Duration::days(365), now, 365).is_ok());
        assert!(matches!(
            within_window(now + Duration::days(365) + Duration::seconds(1), now, 365),
            Err(TimeError::TooFarAhead { days: 365, .. })
        ));
    }
}
