//! Output: aligned tables for people, one JSON object for scripts.

use serde::Serialize;

/// Where a command prints its data.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    json: bool,
}

impl Out {
    pub fn new(json: bool) -> Self {
        Out { json }
    }

    pub fn json(&self) -> bool {
        self.json
    }

    /// Prints `value` as JSON, or the human rendering. Under `--json` every
    /// command prints one object (lists go under a named key), so scripts can
    /// always index the top level by name and new keys never break them.
    pub fn emit<T: Serialize>(&self, value: &T, human: impl FnOnce(&T) -> String) -> Result<(), crate::cmd::CmdError> {
        let text = if self.json {
            let mut s = serde_json::to_string_pretty(value).map_err(|e| crate::cmd::CmdError::msg(e.to_string()))?;
            debug_assert!(s.starts_with('{'), "a command's JSON must be one object: {:.40}", s);
            s.push('\n');
            s
        } else {
            human(value)
        };
        write_stdout(text.as_bytes())
    }
}

/// `#[serde(serialize_with = "exact")]`: a 64-bit value that can pass 2^53 is
/// a decimal string; the library's rule, so its types and ours print alike.
pub use ocfs2_format::serialize::exact;

/// Writes to stdout; a closed pipe (`| head`) ends the output quietly.
pub fn write_stdout(bytes: &[u8]) -> Result<(), crate::cmd::CmdError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.map_err(|e| crate::cmd::CmdError::msg(format!("stdout: {e}"))),
    }
}

/// A borderless table with a header row; columns `right` are right-aligned.
pub fn table(header: &[&str], rows: Vec<Vec<String>>, right: &[usize]) -> String {
    let ncols = header.len().max(rows.iter().map(Vec::len).max().unwrap_or(0));
    let mut t = Table::with_columns(ncols, right);
    t.row(header.iter().copied().chain(std::iter::repeat_n("", ncols - header.len())));
    for row in &rows {
        t.row(row.iter().map(String::as_str).chain(std::iter::repeat_n("", ncols - row.len())));
    }
    t.render()
}

/// Two-column "field: value" table.
pub fn fields(rows: Vec<(&str, String)>) -> String {
    let mut t = Table::with_columns(2, &[]);
    for (k, v) in rows {
        t.cell(format_args!("{k}:")).cell(v);
    }
    t.render()
}

/// Cells laid out in columns as wide as their widest cell, each cell padded by
/// one space on both sides (the layout of comfy-table's borderless preset, which
/// this replaced). All cells share one buffer: `stat -t` of a 15 TiB bitmap
/// prints 125,000 rows, and an allocation per cell cost more than reading the
/// groups.
pub struct Table {
    ncols: usize,
    right: Vec<usize>,
    text: String,
    /// Where each cell ends in `text`, row after row.
    ends: Vec<usize>,
}

impl Table {
    /// A table whose first row is `header`; columns `right` are right-aligned.
    pub fn new(header: &[&str], right: &[usize]) -> Self {
        let mut t = Table::with_columns(header.len(), right);
        t.row(header.iter());
        t
    }

    /// A table of `ncols` columns with no header row.
    pub fn with_columns(ncols: usize, right: &[usize]) -> Self {
        Table { ncols, right: right.to_vec(), text: String::new(), ends: Vec::new() }
    }

    /// Appends one cell; rows fill left to right.
    pub fn cell(&mut self, value: impl std::fmt::Display) -> &mut Self {
        use std::fmt::Write;
        // Writing to a String cannot fail.
        let _ = write!(self.text, "{value}");
        self.ends.push(self.text.len());
        self
    }

    /// Appends the cells of one row.
    pub fn row<T: std::fmt::Display>(&mut self, cells: impl IntoIterator<Item = T>) -> &mut Self {
        for c in cells {
            self.cell(c);
        }
        self
    }

    /// The laid-out table (one empty line when it has no cells).
    pub fn render(&self) -> String {
        let cell = |i: usize| &self.text[if i == 0 { 0 } else { self.ends[i - 1] }..self.ends[i]];
        let mut width = vec![0usize; self.ncols];
        for i in 0..self.ends.len() {
            let w = &mut width[i % self.ncols];
            *w = (*w).max(width_of(cell(i)));
        }
        let mut out = String::with_capacity(
            self.ends.len() / self.ncols.max(1) * (width.iter().sum::<usize>() + 2 * self.ncols + 1),
        );
        for (i, &w) in (0..self.ends.len()).zip(width.iter().cycle()) {
            let (c, text) = (i % self.ncols, cell(i));
            let pad = w - width_of(text);
            out.push(' ');
            if self.right.contains(&c) {
                out.extend(std::iter::repeat_n(' ', pad));
                out.push_str(text);
            } else {
                out.push_str(text);
                out.extend(std::iter::repeat_n(' ', pad));
            }
            out.push(' ');
            if c + 1 == self.ncols {
                // Aligned, but no line padded out to the widest one.
                out.truncate(out.trim_end_matches(' ').len());
                out.push('\n');
            }
        }
        if out.is_empty() {
            out.push('\n');
        }
        out
    }
}

/// Characters in a cell (a byte count for the usual ASCII, which is faster).
fn width_of(cell: &str) -> usize {
    if cell.is_ascii() {
        cell.len()
    } else {
        cell.chars().count()
    }
}

/// Formats seconds since the epoch (and nanoseconds) as UTC.
pub fn time(secs: u64, nsec: u32) -> String {
    let Ok(s) = i64::try_from(secs) else {
        return format!("{secs} (out of range)");
    };
    let days = s.div_euclid(86_400);
    let rem = s.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (rem / 3600, rem % 3600 / 60, rem % 60);
    if nsec == 0 {
        format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02} UTC")
    } else {
        format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}.{nsec:09} UTC")
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `ls -l`-style mode string (`drwxr-xr-x`).
pub fn mode_string(mode: u16) -> String {
    use ocfs2_format::layout::dinode::mode as m;
    let t = match mode & m::S_IFMT {
        m::S_IFDIR => 'd',
        m::S_IFLNK => 'l',
        m::S_IFCHR => 'c',
        m::S_IFBLK => 'b',
        m::S_IFIFO => 'p',
        m::S_IFSOCK => 's',
        _ => '-',
    };
    let mut s = String::with_capacity(10);
    s.push(t);
    let bits = [
        (0o400, 'r'),
        (0o200, 'w'),
        (0o100, 'x'),
        (0o40, 'r'),
        (0o20, 'w'),
        (0o10, 'x'),
        (0o4, 'r'),
        (0o2, 'w'),
        (0o1, 'x'),
    ];
    for (i, (b, c)) in bits.iter().enumerate() {
        let set = mode & b != 0;
        let special = match i {
            2 => mode & 0o4000 != 0,
            5 => mode & 0o2000 != 0,
            8 => mode & 0o1000 != 0,
            _ => false,
        };
        s.push(match (set, special, i) {
            (true, true, 8) => 't',
            (false, true, 8) => 'T',
            (true, true, _) => 's',
            (false, true, _) => 'S',
            (true, false, _) => *c,
            (false, false, _) => '-',
        });
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_dates() {
        assert_eq!(super::time(0, 0), "1970-01-01 00:00:00 UTC");
        // 0x6b05d645 is the mkfs time of fixture A-default; debugfs prints Tue Nov 24 18:24:05 2026.
        assert_eq!(super::time(0x6b05d645, 0), "2026-11-24 18:24:05 UTC");
        assert_eq!(super::time(951_782_400, 5), "2000-02-29 00:00:00.000000005 UTC");
    }

    #[test]
    fn mode_strings() {
        assert_eq!(super::mode_string(0o40755), "drwxr-xr-x");
        assert_eq!(super::mode_string(0o120777), "lrwxrwxrwx");
        assert_eq!(super::mode_string(0o101644), "-rw-r--r-T");
    }
}
