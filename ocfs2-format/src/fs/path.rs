//! Path resolution from the root or the system directory, debugfs-style file
//! specifications, and inode-to-path search.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::volume::Volume;

use super::dir::read_dir;

/// Deepest path followed, to bound lookups on corrupt (cyclic) trees.
const MAX_DEPTH: usize = 4096;

/// Resolves `path` from the root directory (`/a/b`), or from the system directory
/// when it starts with `//` (`//global_bitmap`). Symlinks are not followed.
pub fn lookup(vol: &Volume, path: &str) -> Result<u64> {
    let (mut cur, rest) = match path.strip_prefix("//") {
        Some(rest) => (vol.system_dir_blkno(), rest),
        None => (vol.root_blkno(), path.trim_start_matches('/')),
    };
    for (depth, comp) in rest.split('/').filter(|c| !c.is_empty()).enumerate() {
        if depth >= MAX_DEPTH {
            return Err(Error::Invalid(format!("path {path} is deeper than {MAX_DEPTH} components")));
        }
        let dir = vol.inode(cur)?;
        if !dir.header().is_dir() {
            return Err(Error::NotFound(format!("{path}: {comp} is under a non-directory")));
        }
        cur = read_dir(vol, &dir)?
            .into_iter()
            .find(|e| e.name == comp.as_bytes())
            .map(|e| e.inode)
            .ok_or_else(|| Error::NotFound(path.to_string()))?;
    }
    Ok(cur)
}

/// Resolves a debugfs.ocfs2 file specification: `<blkno>`, `//system_file` or a
/// path.
pub fn resolve_spec(vol: &Volume, spec: &str) -> Result<u64> {
    if let Some(inner) = spec.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
        let n = inner.trim();
        let blk = match n.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16),
            None => n.parse(),
        }
        .map_err(|_| Error::Invalid(format!("{spec}: not a block number")))?;
        if blk >= vol.geometry().blocks {
            return Err(Error::Invalid(format!(
                "{spec}: past the end of the volume ({} blocks)",
                vol.geometry().blocks
            )));
        }
        return Ok(blk);
    }
    lookup(vol, spec)
}

/// Every path naming inode `target`, found by walking the tree from the root and
/// the system directory (`//name`). Each directory is visited once.
pub fn find_paths(vol: &Volume, target: u64) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    let roots = [(vol.root_blkno(), "/".to_string()), (vol.system_dir_blkno(), "//".to_string())];
    for (root, prefix) in roots {
        if root == target {
            found.push(prefix.clone());
        }
        let mut stack = vec![(root, prefix)];
        while let Some((dir_blk, dir_path)) = stack.pop() {
            if !seen.insert(dir_blk) {
                continue;
            }
            let dir = vol.inode(dir_blk)?;
            for e in read_dir(vol, &dir)? {
                if e.name == b"." || e.name == b".." {
                    continue;
                }
                let p = format!("{dir_path}{}", String::from_utf8_lossy(&e.name));
                if e.inode == target {
                    found.push(p.clone());
                }
                if e.file_type == crate::layout::dir::file_type::DIR {
                    stack.push((e.inode, format!("{p}/")));
                }
            }
        }
    }
    Ok(found)
}
