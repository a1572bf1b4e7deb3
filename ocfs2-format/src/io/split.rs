//! A raw image split into segment files, read as one source: `IMG.001`,
//! `IMG.002`, ... (dd, FTK Imager) or `IMGaa`, `IMGab`, ... (`split`), opened
//! by naming the first segment.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::{eof, BlockSource};
use crate::error::{Error, InvalidKind, Result};

const KIND: &str = "split image";
/// More segments than this are refused (a 2 TiB disk in 640 MiB pieces is 3,300).
const MAX_SEGMENTS: usize = 100_000;

/// How a set of segment files is named.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scheme {
    /// `stem.` and a zero-padded decimal number of `width` digits, counting
    /// from `first` (1 for dd and FTK Imager's `.001`; 0 for `split -d`-like `.000`).
    Numeric { stem: String, width: usize, first: u64 },
    /// `stem` and two lowercase letters from `aa`.
    Alpha { stem: String },
}

impl Scheme {
    /// The scheme of `name` when it names the first segment of a set.
    fn of(name: &str, has_second: impl Fn(&str) -> bool) -> Option<Scheme> {
        if let Some((stem, digits)) = name.rsplit_once('.') {
            if digits.len() >= 3 && digits.bytes().all(|b| b.is_ascii_digit()) && !stem.is_empty() {
                let first: u64 = digits.parse().ok()?;
                // `.000` starts a set only when `.001` follows; `.001` always does.
                let s = Scheme::Numeric { stem: stem.to_string(), width: digits.len(), first };
                return match first {
                    1 => Some(s),
                    0 if has_second(&s.name(1)) => Some(s),
                    _ => None,
                };
            }
        }
        // A lone `...aa` is an ordinary file name (`data`, `java`...): it starts a
        // set only when the `...ab` beside it exists.
        let stem = name.strip_suffix("aa")?;
        let s = Scheme::Alpha { stem: stem.to_string() };
        has_second(&s.name(1)).then_some(s)
    }

    /// The name of segment `i` (0-based; below [`Scheme::max`]).
    fn name(&self, i: u64) -> String {
        match self {
            Scheme::Numeric { stem, width, first } => format!("{stem}.{:0width$}", first + i),
            Scheme::Alpha { stem } => {
                let (a, b) = ((i / 26) as u8, (i % 26) as u8);
                format!("{stem}{}{}", (b'a' + a) as char, (b'a' + b) as char)
            }
        }
    }

    fn max(&self) -> u64 {
        match self {
            Scheme::Numeric { width, first, .. } => {
                (10u64.saturating_pow(*width as u32) - first).min(MAX_SEGMENTS as u64)
            }
            Scheme::Alpha { .. } => 26 * 26,
        }
    }
}

/// The segment files of the set `first` starts, in order, or `None` when
/// `first` is not the first segment of a split image. A segment missing
/// between two present ones is an error naming it.
pub fn segments(first: &Path) -> Result<Option<Vec<PathBuf>>> {
    let (Some(dir), Some(name)) = (first.parent(), first.file_name().and_then(|n| n.to_str())) else {
        return Ok(None);
    };
    let at = |n: &str| dir.join(n);
    let Some(scheme) = Scheme::of(name, |n| at(n).exists()) else { return Ok(None) };
    let mut found = Vec::new();
    while (found.len() as u64) < scheme.max() {
        let p = at(&scheme.name(found.len() as u64));
        if !p.exists() {
            break;
        }
        found.push(p);
    }
    // A later segment after the gap means the gap is a lost segment, not the end.
    let n = found.len() as u64;
    if let Some(later) = (n + 1..scheme.max().min(n + 1000)).map(|i| at(&scheme.name(i))).find(|p| p.exists()) {
        return Err(Error::container(
            KIND,
            Some(&at(&scheme.name(n))),
            0,
            format!(
                "segment missing (segments {} to {} exist, and {})",
                scheme.name(0),
                scheme.name(n - 1),
                later.display()
            ),
        ));
    }
    Ok(Some(found))
}

/// Segment files read as one image.
#[derive(Debug)]
pub struct SplitSource {
    /// Each segment with where it starts in the image.
    segs: Vec<(u64, PathBuf, Box<dyn BlockSource>)>,
    size: u64,
}

impl SplitSource {
    /// Opens the segments `paths` (in order) with `open`. Every segment but the
    /// last must be as long as the first: a shorter one is a truncated copy,
    /// and reading past it would shift every later byte.
    pub fn open(paths: Vec<PathBuf>, open: impl Fn(&Path) -> Result<Box<dyn BlockSource>>) -> Result<Self> {
        let mut segs = Vec::with_capacity(paths.len());
        let mut size = 0u64;
        let count = paths.len();
        for (i, p) in paths.into_iter().enumerate() {
            let s = open(&p)?;
            let len = s.size();
            if let Some((_, _, first)) = segs.first() {
                let want: u64 = Box::<dyn BlockSource>::size(first);
                if (i + 1 < count && len != want) || len > want {
                    return Err(Error::container(
                        KIND,
                        Some(&p),
                        len.min(want),
                        format!("segment is {len} bytes where the first is {want}: a truncated or mismatched segment"),
                    ));
                }
            }
            segs.push((size, p, s));
            size += len;
        }
        if segs.is_empty() {
            return Err(Error::invalid(InvalidKind::Argument, "a split image needs at least one segment"));
        }
        Ok(SplitSource { segs, size })
    }

    /// The segment files, in order.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.segs.iter().map(|(_, p, _)| p.as_path())
    }

    /// The index of the segment holding byte `offset` (< size).
    fn seg(&self, offset: u64) -> usize {
        self.segs.partition_point(|(start, _, _)| *start <= offset) - 1
    }
}

impl BlockSource for SplitSource {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        if offset.checked_add(buf.len() as u64).is_none_or(|end| end > self.size) {
            return Err(eof(offset, buf.len(), self.size));
        }
        let (mut at, mut done) = (offset, 0);
        while done < buf.len() {
            let (start, _, s) = &self.segs[self.seg(at)];
            let n = ((s.size() - (at - start)) as usize).min(buf.len() - done);
            s.read_at(at - start, &mut buf[done..done + n])?;
            done += n;
            at += n as u64;
        }
        Ok(())
    }

    fn bytes(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        if offset.checked_add(len as u64).is_none_or(|end| end > self.size) {
            return Err(eof(offset, len, self.size));
        }
        if len == 0 {
            return Ok(Cow::Borrowed(&[]));
        }
        let (start, _, s) = &self.segs[self.seg(offset)];
        if offset - start + len as u64 <= s.size() {
            return s.bytes(offset - start, len);
        }
        let mut buf = vec![0u8; len];
        self.read_at(offset, &mut buf)?;
        Ok(Cow::Owned(buf))
    }

    fn prefetch(&self, offset: u64, len: u64) {
        if offset < self.size {
            let (start, _, s) = &self.segs[self.seg(offset)];
            s.prefetch(offset - start, len);
        }
    }

    fn is_cached(&self, offset: u64) -> bool {
        if offset >= self.size {
            return true;
        }
        let (start, _, s) = &self.segs[self.seg(offset)];
        s.is_cached(offset - start)
    }

    fn parallel_reads(&self) -> usize {
        self.segs[0].2.parallel_reads()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::MemSource;

    #[test]
    fn names_follow_dd_and_split() {
        let yes = |_: &str| true;
        let s = Scheme::of("disk.001", yes).expect("numeric");
        assert_eq!((s.name(0), s.name(1), s.name(998)), ("disk.001".into(), "disk.002".into(), "disk.999".into()));
        let s = Scheme::of("xaa", yes).expect("alpha");
        assert_eq!((s.name(1), s.name(25), s.name(26)), ("xab".into(), "xaz".into(), "xba".into()));
        assert_eq!(Scheme::of("disk.002", yes), None, "only the first segment opens a set");
        assert_eq!(Scheme::of("data", |_: &str| false), None, "a lone ...aa is a plain file");
        assert_eq!(Scheme::of("disk.img", yes), None);
    }

    #[test]
    fn reads_across_segments_of_odd_sizes() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let cut = [0usize, 3333, 6666, 9999, 10_000];
        let parts: Vec<PathBuf> = (0..4).map(|i| PathBuf::from(format!("s{i}"))).collect();
        let src = SplitSource::open(parts, |p| {
            let i: usize = p.to_str().and_then(|s| s[1..].parse().ok()).expect("index");
            Ok(Box::new(MemSource::from_bytes(&data[cut[i]..cut[i + 1]])))
        })
        .expect("open");
        assert_eq!(src.size(), 10_000);
        for (off, len) in [(0, 10_000), (3330, 10), (3333, 3333), (9990, 10), (6000, 4000)] {
            assert_eq!(&*src.bytes(off as u64, len).expect("read"), &data[off..off + len], "{off}+{len}");
        }
        assert!(src.read_at(9999, &mut [0u8; 2]).is_err());
    }

    #[test]
    fn a_short_middle_segment_is_named() {
        let parts: Vec<PathBuf> = ["a", "b", "c"].iter().map(PathBuf::from).collect();
        let err = SplitSource::open(parts, |p| {
            let n = if p == Path::new("b") { 90 } else { 100 };
            Ok(Box::new(MemSource::from_bytes(&vec![0u8; n])))
        })
        .expect_err("b is short");
        match err {
            Error::Container { segment: Some(s), offset: 90, .. } => assert_eq!(s, Path::new("b")),
            other => panic!("{other:?}"),
        }
    }
}
