//! The read-only queries of tunefs.ocfs2 and o2info: `query FORMAT`
//! (tunefs.ocfs2 `-Q`), `list-sparse` (tunefs.ocfs2 `--list-sparse`) and
//! `fs-features` (o2info `--fs-features`), printed as those tools print them.

use std::collections::HashMap;

use ocfs2_format::files::FileType;
use ocfs2_format::fs::ExtentMap;
use ocfs2_format::layout::dinode::dyn_features;
use ocfs2_format::layout::superblock::{compat, feature_names, incompat, ro_compat, tunefs_flag};
use ocfs2_format::{SystemFile, Volume};
use serde::Serialize;

use super::CmdError;
use crate::render::Out;

/// Deepest directory nesting `list-sparse` follows.
const MAX_DEPTH: usize = 4096;

/// The feature words tunefs.ocfs2 and o2info print (space-separated names).
fn feature_words(vol: &Volume) -> [String; 4] {
    let sb = vol.superblock();
    [
        feature_names(sb.s_feature_compat.get(), compat::NAMES).join(" "),
        feature_names(sb.s_feature_incompat.get(), incompat::NAMES).join(" "),
        feature_names(u32::from(sb.s_tunefs_flag.get()), tunefs_flag::NAMES).join(" "),
        feature_names(sb.s_feature_ro_compat.get(), ro_compat::NAMES).join(" "),
    ]
}

/// `FORMAT` with tunefs.ocfs2's escapes (`\a \b \t \n \v \f \r`; any other
/// backslash pair stays as written) and specifiers (`%B` block size, `%T`
/// cluster size, `%N` slots, `%R` root, `%Y` system directory, `%P` first
/// cluster group, `%V` label, `%U` UUID, `%M` `%H` `%O` compat, incompat and
/// ro-compat features, `%%`), each with an optional `-` and width as printf
/// takes them.
pub fn expand_query(vol: &Volume, format: &str) -> Result<String, CmdError> {
    let sb = vol.superblock();
    let [compat, incompat, tunefs, ro] = feature_words(vol);
    let or_none = |s: String| if s.is_empty() { "None".to_string() } else { s };
    let value = |c: char| -> Option<String> {
        Some(match c {
            'B' => vol.block_size().to_string(),
            'T' => (vol.geometry().cluster_size).to_string(),
            'N' => sb.s_max_slots.get().to_string(),
            'R' => sb.s_root_blkno.get().to_string(),
            'Y' => sb.s_system_dir_blkno.get().to_string(),
            'P' => sb.s_first_cluster_group.get().to_string(),
            'V' => {
                let label = &sb.s_label;
                String::from_utf8_lossy(&label[..label.iter().position(|&b| b == 0).unwrap_or(label.len())])
                    .into_owned()
            }
            'U' => sb.uuid_hex(),
            'M' => or_none(compat.clone()),
            // An interrupted tunefs operation's flag names follow the incompat ones.
            'H' => or_none(format!("{incompat}{tunefs}")),
            'O' => or_none(ro.clone()),
            _ => return None,
        })
    };
    let bad = || CmdError::msg(format!("Unknown type specifier in the query format: {format:?}"));
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('a') => out.push('\x07'),
                Some('b') => out.push('\x08'),
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('v') => out.push('\x0b'),
                Some('f') => out.push('\x0c'),
                Some('r') => out.push('\r'),
                Some(o) => {
                    out.push('\\');
                    out.push(o);
                }
                None => out.push('\\'),
            },
            '%' => {
                if chars.peek() == Some(&'%') {
                    chars.next();
                    out.push('%');
                    continue;
                }
                let left = chars.next_if_eq(&'-').is_some();
                let mut width = 0usize;
                while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    width = width.saturating_mul(10).saturating_add(d as usize).min(4096);
                    chars.next();
                }
                let v = chars.next().and_then(value).ok_or_else(bad)?;
                if left {
                    out.push_str(&format!("{v:<width$}"));
                } else {
                    out.push_str(&format!("{v:>width$}"));
                }
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

#[derive(Debug, Serialize)]
struct Query {
    /// The format as given.
    format: String,
    /// What tunefs.ocfs2 -Q prints for it.
    text: String,
}

pub fn run_query(vol: &Volume, out: &Out, format: &str) -> Result<(), CmdError> {
    let text = expand_query(vol, format)?;
    out.emit(&Query { format: format.to_string(), text }, |q| q.text.clone())
}

#[derive(Debug, Serialize)]
struct SparseFile {
    /// The file's inode.
    inode: u64,
    /// Clusters below `i_size` that no extent maps.
    hole_clusters: u64,
    /// Its path (under `//orphan_dir:NNNN` for an orphan).
    path: String,
}

#[derive(Debug, Serialize)]
struct SparseTree {
    /// `/` or `orphan_dir:NNNN`.
    name: String,
    /// Its sparse files, in walk order.
    files: Vec<SparseFile>,
    /// Hole clusters, each inode counted once.
    hole_clusters: u64,
}

#[derive(Debug, Serialize)]
struct SparseReport {
    /// The root tree, then each orphan directory.
    trees: Vec<SparseTree>,
    /// Hole clusters over all trees.
    hole_clusters: u64,
    /// Free clusters in the global bitmap.
    free_clusters: u64,
}

/// Clusters below `i_size` that no extent maps, and the inode's link count.
fn hole_clusters(vol: &Volume, blkno: u64) -> Result<(u64, u32), CmdError> {
    let at = |e| CmdError::at(format!("inode {blkno}"), e);
    let inode = vol.inode(blkno).map_err(at)?;
    let h = inode.header();
    if h.has_dyn(dyn_features::INLINE_DATA) {
        return Ok((0, h.links()));
    }
    let cs = vol.geometry().cluster_size;
    let want = h.i_size.get().div_ceil(u64::from(cs));
    let mapped: u64 = ExtentMap::load(vol, &inode)
        .map_err(at)?
        .extents()
        .iter()
        .map(|e| {
            let (start, end) = (u64::from(e.cpos), u64::from(e.cpos) + u64::from(e.clusters));
            end.min(want).saturating_sub(start.min(want))
        })
        .sum();
    Ok((want.saturating_sub(mapped), h.links()))
}

/// Walks the tree under `start` as tunefs.ocfs2 does (the facade's walk: entries
/// in on-disk order, directories where they are met), listing regular files with
/// holes: a hard-linked file at each of its names, its holes counted once.
/// `strip` is taken off the front of each path as printed.
fn sparse_tree(vol: &Volume, start: &str, strip: &str, name: &str) -> Result<SparseTree, CmdError> {
    let mut tree = SparseTree { name: name.to_string(), files: Vec::new(), hole_clusters: 0 };
    let mut linked: HashMap<u64, u64> = HashMap::new();
    for entry in vol.walk(start).min_depth(1) {
        let entry = entry.map_err(|e| CmdError::at(start.to_string(), e))?;
        let path = String::from_utf8_lossy(entry.path());
        let path = path.strip_prefix(strip).unwrap_or(&path).to_string();
        if entry.depth() > MAX_DEPTH {
            return Err(CmdError::msg(format!("{path}: nested deeper than {MAX_DEPTH} directories")));
        }
        if entry.file_type() != FileType::File {
            continue;
        }
        let holes = match linked.get(&entry.ino()) {
            Some(&h) => h,
            None => {
                let (holes, links) = hole_clusters(vol, entry.ino())?;
                tree.hole_clusters += holes;
                if links > 1 {
                    linked.insert(entry.ino(), holes);
                }
                holes
            }
        };
        if holes > 0 {
            tree.files.push(SparseFile { inode: entry.ino(), hole_clusters: holes, path });
        }
    }
    Ok(tree)
}

pub fn run_list_sparse(vol: &Volume, out: &Out) -> Result<(), CmdError> {
    let mut trees = vec![sparse_tree(vol, "/", "", "/")?];
    for slot in 0..vol.superblock().s_max_slots.get() {
        let name = SystemFile::orphan_dir(slot).name();
        trees.push(sparse_tree(vol, &format!("//{name}"), "//", &name)?);
    }
    let bitmap = vol.inode(vol.system_file(SystemFile::GLOBAL_BITMAP)?)?.header().bitmap1();
    let report = SparseReport {
        hole_clusters: trees.iter().map(|t| t.hole_clusters).sum(),
        free_clusters: u64::from(bitmap.i_total.get().saturating_sub(bitmap.i_used.get())),
        trees,
    };
    out.emit(&report, |r| {
        let mut s = String::from("Iterating from the root directory:\n#inode\tcluster nums\tfilepath\n");
        for (i, t) in r.trees.iter().enumerate() {
            if i == 1 {
                s.push_str("Iterating orphan_dirs:\n");
            }
            for f in &t.files {
                s.push_str(&format!("{}\t{}\t\t{}\n", f.inode, f.hole_clusters, f.path));
            }
            s.push_str(&format!("Total hole clusters in {}: {}\n", t.name, t.hole_clusters));
        }
        s.push_str(&format!(
            "Total hole clusters in the volume: {}\n\nTotal free {} clusters in the volume.\n",
            r.hole_clusters, r.free_clusters
        ));
        s
    })
}

#[derive(Debug, Serialize)]
struct FsFeatures {
    /// The compat features set, by name.
    compat: Vec<&'static str>,
    /// The incompat features set, by name.
    incompat: Vec<&'static str>,
    /// The ro-compat features set, by name.
    ro_compat: Vec<&'static str>,
}

/// o2info's line filling: words with a space after each, a new line before
/// one that would pass 80 columns.
fn fill_80(words: &[&str]) -> String {
    let mut s = String::new();
    let mut len = 0;
    for w in words {
        let piece = format!("{w} ");
        len += piece.len();
        if len > 80 {
            s.push('\n');
            len = piece.len();
        }
        s.push_str(&piece);
    }
    s.push('\n');
    s
}

pub fn run_fs_features(vol: &Volume, out: &Out) -> Result<(), CmdError> {
    let sb = vol.superblock();
    let f = FsFeatures {
        compat: feature_names(sb.s_feature_compat.get(), compat::NAMES),
        incompat: feature_names(sb.s_feature_incompat.get(), incompat::NAMES),
        ro_compat: feature_names(sb.s_feature_ro_compat.get(), ro_compat::NAMES),
    };
    out.emit(&f, |f| {
        let all: Vec<&str> = f.compat.iter().chain(&f.incompat).chain(&f.ro_compat).copied().collect();
        fill_80(&all)
    })
}
