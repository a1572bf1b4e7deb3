//! The fixtures' expected contents: the ```` ```kfix-expect ```` block of
//! `fixtures/README.md`, hashes printed by the guest kernel that wrote the files.

use std::collections::HashMap;
use std::path::Path;

/// One fixture's records.
#[derive(Debug, Default)]
pub struct Expect {
    /// (size, sha256) of the raw image.
    pub raw: Option<(u64, String)>,
    /// (sha256, size, path)
    pub files: Vec<(String, u64, String)>,
    /// (sha256 of the target, target length, path)
    pub symlinks: Vec<(String, u64, String)>,
    pub hardlinks: Vec<(String, String)>,
    /// (entries, sha256 of the sorted names, path)
    pub dirs: Vec<(u64, String, String)>,
    /// (slot, sha256, size)
    pub orphans: Vec<(u16, String, u64)>,
}

/// The records of fixture `name`; panics naming the line of a record it cannot parse.
pub fn expectations(name: &str) -> Expect {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/README.md");
    let text = std::fs::read_to_string(&readme).unwrap_or_else(|e| panic!("{}: {e}", readme.display()));
    let block = text
        .split("```kfix-expect\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("fixtures/README.md has a ```kfix-expect block");
    let mut all: HashMap<String, Expect> = HashMap::new();
    let mut cur: Option<String> = None;
    for (n, line) in block.lines().enumerate() {
        let f: Vec<&str> = line.splitn(4, ' ').collect();
        let bad = || -> ! { panic!("fixtures/README.md kfix-expect line {}: {line:?}", n + 1) };
        if line.trim().is_empty() {
            continue;
        }
        if let ["fixture", fx] = f.as_slice() {
            cur = Some(fx.to_string());
            all.entry(fx.to_string()).or_default();
            continue;
        }
        let Some(e) = cur.as_ref().and_then(|c| all.get_mut(c)) else { bad() };
        let num = |s: &str| s.parse::<u64>().unwrap_or_else(|_| bad());
        match f.as_slice() {
            ["raw", size, sha] => e.raw = Some((num(size), sha.to_string())),
            ["file", sha, size, path] => e.files.push((sha.to_string(), num(size), path.to_string())),
            ["symlink", sha, len, path] => e.symlinks.push((sha.to_string(), num(len), path.to_string())),
            ["hardlink", a, b] => e.hardlinks.push((a.to_string(), b.to_string())),
            ["dir", count, sha, path] => e.dirs.push((num(count), sha.to_string(), path.to_string())),
            ["orphan", slot, sha, size] => {
                let slot = u16::try_from(num(slot)).unwrap_or_else(|_| bad());
                e.orphans.push((slot, sha.to_string(), num(size)))
            }
            _ => bad(),
        }
    }
    all.remove(name).unwrap_or_else(|| panic!("fixtures/README.md has no records for fixture {name}"))
}
