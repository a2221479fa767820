//! Dates in the vendors' own spellings: Spectrum's `MM/DD/CCYY`,
//! Synergetic's `dd/mm/yyyy`, Pruvan's `YYYY-MM-DD HHMI +Z`
//! (`2020-05-28 1200 +0`). A pattern is parsed once into tokens; values are
//! checked against the calendar, not only the shape.

use std::fmt::Write;

/// One piece of a date pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Offset,
    Lit(char),
}

/// A compiled date or datetime pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatePattern {
    text: String,
    toks: Vec<Tok>,
}

/// The parts of a date and time. Fields a pattern lacks stay zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DateTime {
    /// Four-digit year.
    pub year: i32,
    /// 1-12.
    pub month: u32,
    /// 1-31.
    pub day: u32,
    /// 0-23.
    pub hour: u32,
    /// 0-59.
    pub minute: u32,
    /// 0-59.
    pub second: u32,
    /// Offset from UTC in minutes.
    pub offset_minutes: i32,
}

impl DatePattern {
    /// Compile a vendor pattern. Fails when it has no year, month and day.
    pub fn new(text: &str) -> Result<DatePattern, String> {
        const TOKENS: [(&str, Tok); 15] = [
            ("CCYY", Tok::Year),
            ("YYYY", Tok::Year),
            ("yyyy", Tok::Year),
            ("MM", Tok::Month),
            ("mm", Tok::Month),
            ("DD", Tok::Day),
            ("dd", Tok::Day),
            ("HH", Tok::Hour),
            ("hh", Tok::Hour),
            ("MI", Tok::Minute),
            ("mi", Tok::Minute),
            ("SS", Tok::Second),
            ("ss", Tok::Second),
            ("+Z", Tok::Offset),
            ("+z", Tok::Offset),
        ];
        let mut toks = Vec::new();
        let mut rest = text;
        'outer: while !rest.is_empty() {
            for (t, tok) in &TOKENS {
                if let Some(r) = rest.strip_prefix(t) {
                    toks.push(tok.clone());
                    rest = r;
                    continue 'outer;
                }
            }
            let c = rest.chars().next().unwrap_or(' ');
            toks.push(Tok::Lit(c));
            rest = &rest[c.len_utf8()..];
        }
        for (need, name) in [
            (Tok::Year, "year (CCYY)"),
            (Tok::Month, "month (MM)"),
            (Tok::Day, "day (DD)"),
        ] {
            if !toks.contains(&need) {
                return Err(format!("date pattern '{text}' has no {name}"));
            }
        }
        Ok(DatePattern {
            text: text.to_string(),
            toks,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Parse `s`; `None` when it does not follow the pattern or is not a real date.
    pub fn parse(&self, s: &str) -> Option<DateTime> {
        let mut dt = DateTime::default();
        let b = s.as_bytes();
        let mut i = 0;
        for tok in &self.toks {
            let digits = |i: &mut usize, n: usize| -> Option<u32> {
                let part = b.get(*i..*i + n)?;
                if !part.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                *i += n;
                Some(part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
            };
            match tok {
                Tok::Year => dt.year = digits(&mut i, 4)? as i32,
                Tok::Month => dt.month = digits(&mut i, 2)?,
                Tok::Day => dt.day = digits(&mut i, 2)?,
                Tok::Hour => dt.hour = digits(&mut i, 2)?,
                Tok::Minute => dt.minute = digits(&mut i, 2)?,
                Tok::Second => dt.second = digits(&mut i, 2)?,
                Tok::Offset => dt.offset_minutes = parse_offset(b, &mut i)?,
                Tok::Lit(c) => {
                    let mut buf = [0u8; 4];
                    let lit = c.encode_utf8(&mut buf).as_bytes();
                    if b.get(i..i + lit.len())? != lit {
                        return None;
                    }
                    i += lit.len();
                }
            }
        }
        (i == b.len() && dt.is_valid()).then_some(dt)
    }

    /// Write `dt` in this pattern.
    pub fn format(&self, dt: &DateTime) -> String {
        let mut out = String::with_capacity(self.text.len() + 4);
        for tok in &self.toks {
            let _ = match tok {
                Tok::Year if (0..=9999).contains(&dt.year) => {
                    push_digits(&mut out, dt.year as u32, 4)
                }
                Tok::Year => write!(out, "{:04}", dt.year),
                Tok::Month => push_digits(&mut out, dt.month, 2),
                Tok::Day => push_digits(&mut out, dt.day, 2),
                Tok::Hour => push_digits(&mut out, dt.hour, 2),
                Tok::Minute => push_digits(&mut out, dt.minute, 2),
                Tok::Second => push_digits(&mut out, dt.second, 2),
                Tok::Offset => {
                    let (sign, m) = if dt.offset_minutes < 0 {
                        ('-', -dt.offset_minutes)
                    } else {
                        ('+', dt.offset_minutes)
                    };
                    if m % 60 == 0 {
                        write!(out, "{sign}{}", m / 60)
                    } else {
                        write!(out, "{sign}{:02}:{:02}", m / 60, m % 60)
                    }
                }
                Tok::Lit(c) => write!(out, "{c}"),
            };
        }
        out
    }
}

/// `+0`, `-5`, `+05`, `+05:30`, `+0530`.
fn parse_offset(b: &[u8], i: &mut usize) -> Option<i32> {
    let sign = match b.get(*i)? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    *i += 1;
    let start = *i;
    while *i < b.len() && b[*i].is_ascii_digit() && *i - start < 4 {
        *i += 1;
    }
    let digits = std::str::from_utf8(&b[start..*i]).ok()?;
    let (h, mut m): (i32, i32) = match digits.len() {
        1 | 2 => (digits.parse().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    if digits.len() <= 2 && b.get(*i) == Some(&b':') {
        let mm = std::str::from_utf8(b.get(*i + 1..*i + 3)?).ok()?;
        m = mm.parse().ok()?;
        *i += 3;
    }
    (h <= 14 && m < 60).then_some(sign * (h * 60 + m))
}

impl DateTime {
    fn is_valid(&self) -> bool {
        (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
    }

    /// Read an ISO 8601 date or timestamp (`2026-11-02`, `2026-11-02T09:01:00Z`,
    /// `2026-11-02T09:01:00.5+01:00`): what exports and APIs carry. The date
    /// and time are kept as written, in the timestamp's own offset.
    pub fn parse_iso(s: &str) -> Option<DateTime> {
        let b = s.as_bytes();
        // Digits only (no sign), at most 4: no overflow, and no general
        // number parser per field.
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            b.get(r)?.iter().try_fold(0u32, |n, d| {
                d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
            })
        };
        let mut dt = DateTime {
            year: num(0..4)? as i32,
            month: num(5..7)?,
            day: num(8..10)?,
            ..DateTime::default()
        };
        if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        if b.len() > 10 {
            if !matches!(b[10], b'T' | b't' | b' ') || b.get(13) != Some(&b':') {
                return None;
            }
            dt.hour = num(11..13)?;
            dt.minute = num(14..16)?;
            let mut i = 16;
            if b.get(16) == Some(&b':') {
                dt.second = num(17..19)?;
                i = 19;
                if b.get(19) == Some(&b'.') {
                    i = 20;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            match b.get(i) {
                None => {}
                Some(b'Z' | b'z') if i + 1 == b.len() => {}
                Some(b'+' | b'-') => {
                    dt.offset_minutes = parse_offset(b, &mut i)?;
                    if i != b.len() {
                        return None;
                    }
                }
                _ => return None,
            }
        }
        dt.is_valid().then_some(dt)
    }
}

/// `n` in at least `width` digits, zero-padded, as `{:0width$}` writes it,
/// with no formatter per field.
fn push_digits(out: &mut String, n: u32, width: u32) -> std::fmt::Result {
    if n >= 10u32.pow(width) {
        return write!(out, "{n}");
    }
    for place in (0..width).rev() {
        let digit = (n / 10u32.pow(place)) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
    Ok(())
}

impl DateTime {
    /// The same time `days` later (earlier when negative), by the calendar;
    /// `None` past the years ISO 8601 writes in four digits (0000 to 9999).
    pub fn add_days(&self, days: i64) -> Option<DateTime> {
        let day = days_from_civil(self.year, self.month, self.day).checked_add(days)?;
        // 0000-01-01 and 9999-12-31, as days since 1970-01-01.
        if !(-719_528..=2_932_896).contains(&day) {
            return None;
        }
        let (y, m, d) = civil_from_days(day);
        Some(DateTime {
            year: y,
            month: m,
            day: d,
            ..*self
        })
    }

    /// ISO 8601, as read by [`DateTime::parse_iso`]: `2026-11-02T09:01:00Z`
    /// (or `+01:00` for other offsets).
    pub fn to_iso(self) -> String {
        let offset = match self.offset_minutes {
            0 => "Z".to_string(),
            m => format!(
                "{}{:02}:{:02}",
                if m < 0 { '-' } else { '+' },
                m.abs() / 60,
                m.abs() % 60
            ),
        };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{offset}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

// Days since 1970-01-01 and back, for the proleptic Gregorian calendar
// (Howard Hinnant's algorithms).
fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((yoe + era * 400 + i64::from(m <= 2)) as i32, m, d)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digits written by hand are the formatter's, padded or past the width.
    #[test]
    fn digits_as_the_formatter_writes_them() {
        for n in (0..12_000).chain([99_999, u32::MAX]) {
            for width in [2, 4] {
                let mut out = String::new();
                push_digits(&mut out, n, width).unwrap();
                assert_eq!(out, format!("{n:0w$}", w = width as usize));
            }
        }
    }

    /// A field read is its digits: no sign, no space, exactly the width.
    #[test]
    fn iso_fields_are_plain_digits() {
        let dt = DateTime::parse_iso("2026-11-02T09:01:07Z").unwrap();
        assert_eq!((dt.year, dt.month, dt.day), (2026, 11, 2));
        assert_eq!((dt.hour, dt.minute, dt.second), (9, 1, 7));
        for bad in [
            "2026-+1-02",
            "2026-1 -02",
            "2026-11-0x",
            "+026-11-02",
            "2026-11-02T0:01:00Z",
        ] {
            assert!(DateTime::parse_iso(bad).is_none(), "{bad}");
        }
        let us = DatePattern::new("MM/DD/CCYY").unwrap();
        assert!(us.parse("+1/02/2026").is_none());
        assert_eq!(us.format(&us.parse("11/02/2026").unwrap()), "11/02/2026");
    }

    #[test]
    fn vendor_patterns() {
        let spectrum = DatePattern::new("MM/DD/CCYY").unwrap();
        assert!(spectrum.parse("10/02/2018").is_some()); // the seed's PO_Delivery_Date
        assert!(spectrum.parse("02/30/2018").is_none());
        assert!(spectrum.parse("2018-10-02").is_none());
        let synergetic = DatePattern::new("dd/mm/yyyy").unwrap();
        assert_eq!(
            synergetic.parse("15/02/2010").map(|d| (d.day, d.month)),
            Some((15, 2))
        ); // the seed's OrderDate
        let pruvan = DatePattern::new("YYYY-MM-DD HHMI +Z").unwrap();
        let d = pruvan.parse("2020-05-28 1200 +0").unwrap(); // the seed's clientDueDate
        assert_eq!((d.hour, d.minute, d.offset_minutes), (12, 0, 0));
        assert_eq!(pruvan.format(&d), "2020-05-28 1200 +0");
        assert!(pruvan.parse("2020-05-28 12:00").is_none());
        assert_eq!(
            pruvan.parse("2020-05-28 1700 -5").unwrap().offset_minutes,
            -300
        );
    }

    #[test]
    fn adding_days_follows_the_calendar() {
        let d = DateTime::parse_iso("2020-05-28T12:00:00Z").unwrap();
        assert_eq!(d.add_days(-3).unwrap().to_iso(), "2020-05-25T12:00:00Z"); // Pruvan's seed: dueDate 3 days before clientDueDate
        assert_eq!(
            DateTime::parse_iso("2024-02-28")
                .unwrap()
                .add_days(1)
                .unwrap()
                .to_iso(),
            "2024-02-29T00:00:00Z"
        );
        assert_eq!(
            DateTime::parse_iso("2026-12-31T23:00:00+01:00")
                .unwrap()
                .add_days(1)
                .unwrap()
                .to_iso(),
            "2027-01-01T23:00:00+01:00"
        );
    }

    #[test]
    fn iso_to_vendor() {
        let d = DateTime::parse_iso("2026-11-02T09:01:00Z").unwrap();
        assert_eq!(
            DatePattern::new("MM/DD/CCYY").unwrap().format(&d),
            "11/02/2026"
        );
        assert_eq!(
            DatePattern::new("dd/mm/yyyy").unwrap().format(&d),
            "02/11/2026"
        );
        assert!(DateTime::parse_iso("2026-02-29T00:00:00Z").is_none());
        assert!(DateTime::parse_iso("2024-02-29").is_some());
    }
}
