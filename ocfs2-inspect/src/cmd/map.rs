//! `map IMAGE -o FILE.svg`: the volume as a grid of cells, each a bin of
//! clusters coloured by who owns most of them (free, files, system files, each
//! slot's journal, each slot's allocators), with the free-extent histogram and
//! a legend. A volume with more clusters than cells is binned: the work is per
//! extent and per free run, never per block.
//!
//! Used clusters are attributed to the system files that hold them (their
//! extents, allocator groups, local-alloc windows, bitmap group descriptors,
//! the superblock area and its backups); the rest of the used clusters are the
//! files'.

use std::io::Write;
use std::path::Path;

use ocfs2_format::alloc::{self, allocator_groups, bitmap_group_first_cluster, group_block_runs};
use ocfs2_format::fs::{read_dir, ExtentMap};
use ocfs2_format::layout::dinode::Id2;
use ocfs2_format::layout::group::GroupView;
use ocfs2_format::layout::system_file::{SystemFile, SystemFileKind};
use ocfs2_format::{MetaKind, Volume};
use serde::Serialize;

use super::CmdError;
use crate::render::Out;

const FREE: usize = 0;
const FILES: usize = 1;
const SYSTEM: usize = 2;
/// Most per-bin owner counters kept.
const MAX_COUNTS: u64 = 1 << 25;
/// Pixels per cell.
const CELL: u64 = 8;

/// Per-bin cluster counts per owner.
struct Bins {
    bin: u64,
    clusters: u64,
    owners: usize,
    counts: Vec<u64>,
}

impl Bins {
    fn add(&mut self, owner: usize, start: u64, len: u64) {
        let end = start.saturating_add(len).min(self.clusters);
        let mut c = start;
        while c < end {
            let b = c / self.bin;
            let stop = ((b + 1) * self.bin).min(end);
            self.counts[b as usize * self.owners + owner] += stop - c;
            c = stop;
        }
    }
    fn get(&self, b: usize, owner: usize) -> u64 {
        self.counts[b * self.owners + owner]
    }
}

#[derive(Debug, Serialize)]
struct Owner {
    /// The owner (`free`, `files`, a system file such as `global_bitmap` or `journal:0000`).
    name: String,
    /// The SVG class of its cells (`o<N>`).
    class: String,
    /// Its fill colour (`#rrggbb`).
    color: String,
    /// Clusters it holds.
    clusters: u64,
    /// Cells drawn in its colour.
    cells: u64,
}

#[derive(Debug, Serialize)]
struct MapReport {
    /// The SVG file written.
    svg: String,
    /// Clusters in the volume.
    clusters: u64,
    /// Clusters each cell stands for.
    clusters_per_cell: u64,
    /// Cells drawn.
    cells: u64,
    /// The legend: every owner with its share.
    owners: Vec<Owner>,
    /// Free extents by length: `(shortest, longest, count)` in clusters.
    free_extents: Vec<(u64, u64, u64)>,
}

/// Runs `map`.
pub fn run(vol: &Volume, out: &Out, svg: &Path, cells: u64) -> Result<(), CmdError> {
    let geo = vol.geometry();
    let clusters = u64::from(geo.clusters);
    let slots = usize::from(vol.superblock().s_max_slots.get());
    let owners = 3 + 2 * slots;
    // Counts are kept per bin and owner: bound them (256 MiB) whatever `cells` asks.
    let cells = cells.clamp(1, MAX_COUNTS / owners as u64);
    let bin = clusters.div_ceil(cells).max(1);
    let nbins = clusters.div_ceil(bin) as usize;
    let mut bins = Bins { bin, clusters, owners, counts: vec![0; nbins * owners] };
    let cl = |blk: u64| geo.block_to_cluster(blk);

    // Free runs of the global bitmap, and the histogram of their lengths.
    let gb = vol.inode(vol.system_file(SystemFile::GLOBAL_BITMAP)?)?;
    let mut hist = [0u64; 33];
    let mut used_of_group = Vec::new();
    for g in allocator_groups(vol, &gb)?.into_iter().flatten() {
        let block = vol.read_meta(g.blkno, MetaKind::GROUP)?;
        let view = GroupView::parse(&block, g.blkno)?;
        let first = bitmap_group_first_cluster(vol, g.blkno);
        for r in alloc::free_runs(&view) {
            bins.add(FREE, first + u64::from(r.start), u64::from(r.len));
            hist[(u64::from(r.len).ilog2() as usize).min(32)] += 1;
        }
        used_of_group.push(cl(g.blkno));
    }
    // What the system holds: the superblock area, backups, group descriptors.
    let first_group = cl(vol.superblock().s_first_cluster_group.get());
    bins.add(SYSTEM, 0, first_group);
    for b in vol.backup_blknos().into_iter().chain(used_of_group) {
        bins.add(SYSTEM, cl(b), 1);
    }
    let sysdir = vol.inode(vol.system_dir_blkno())?;
    for e in read_dir(vol, &sysdir)? {
        let name = String::from_utf8_lossy(&e.name).into_owned();
        let file = SystemFile::parse(&name);
        if name == "." || name == ".." || file == Some(SystemFile::GLOBAL_BITMAP) {
            continue;
        }
        let slot = file.and_then(SystemFile::slot_number).map(usize::from).filter(|s| *s < slots);
        let owner = match (file.map(SystemFile::kind), slot) {
            (Some(SystemFileKind::Journal), Some(s)) => 3 + 2 * s,
            (Some(SystemFileKind::InodeAlloc | SystemFileKind::ExtentAlloc | SystemFileKind::LocalAlloc), Some(s)) => {
                4 + 2 * s
            }
            _ => SYSTEM,
        };
        let inode = vol.inode(e.inode).map_err(|err| CmdError::at(format!("//{name}"), err))?;
        match inode.dinode().id2().map_err(|err| CmdError::at(format!("//{name}"), err))? {
            Id2::Chain(_) => {
                for g in allocator_groups(vol, &inode)?.into_iter().flatten() {
                    let block = vol.read_meta(g.blkno, MetaKind::GROUP)?;
                    let view = GroupView::parse(&block, g.blkno)?;
                    for (start, n) in group_block_runs(geo, g.blkno, &view)? {
                        let c = cl(start);
                        bins.add(owner, c, cl(start + n.max(1) - 1) - c + 1);
                    }
                }
            }
            Id2::LocalAlloc(la, _) => {
                let window = u64::from(inode.header().bitmap1().i_total.get());
                bins.add(owner, u64::from(la.la_bm_off.get()), window);
            }
            Id2::Extents(_) => {
                let map = ExtentMap::load(vol, &inode).map_err(|err| CmdError::at(format!("//{name}"), err))?;
                for x in map.extents() {
                    bins.add(owner, cl(x.blkno), u64::from(x.clusters));
                }
            }
            _ => {}
        }
    }
    // The rest of each bin's used clusters are the files'.
    for b in 0..nbins {
        let size = (((b as u64) + 1) * bin).min(clusters) - b as u64 * bin;
        let known: u64 = (0..owners).filter(|&o| o != FILES).map(|o| bins.get(b, o)).sum();
        bins.counts[b * owners + FILES] = size.saturating_sub(known);
    }

    let mut names = vec!["free".to_string(), "files and directories".to_string(), "system files".to_string()];
    let mut colors = vec!["#eeeeee".to_string(), "#4e79a7".to_string(), "#7f7f7f".to_string()];
    for s in 0..slots {
        let hue = (s * 47 + 20) % 360;
        names.push(SystemFile::journal(s as u16).name());
        colors.push(format!("hsl({hue},70%,42%)"));
        names.push(format!("slot {s} allocators"));
        colors.push(format!("hsl({hue},65%,75%)"));
    }
    let winner: Vec<usize> = (0..nbins)
        .map(|b| (0..owners).max_by_key(|&o| (bins.get(b, o), std::cmp::Reverse(o))).unwrap_or(FREE))
        .collect();
    let mut report = MapReport {
        svg: svg.display().to_string(),
        clusters,
        clusters_per_cell: bin,
        cells: nbins as u64,
        owners: (0..owners)
            .map(|o| Owner {
                name: names[o].clone(),
                class: format!("o{o}"),
                color: colors[o].clone(),
                clusters: (0..nbins).map(|b| bins.get(b, o)).sum(),
                cells: winner.iter().filter(|&&w| w == o).count() as u64,
            })
            .collect(),
        free_extents: hist
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(i, &n)| (1u64 << i, (1u64 << (i + 1)) - 1, n))
            .collect(),
    };
    report.owners.retain(|o| o.clusters > 0 || o.name == "free");
    write_svg(svg, &report, &winner)?;
    out.emit(&report, |r| {
        format!("{}: {} cells of {} cluster(s) each, {} clusters\n", r.svg, r.cells, r.clusters_per_cell, r.clusters)
    })
}

fn write_svg(path: &Path, r: &MapReport, winner: &[usize]) -> Result<(), CmdError> {
    let cols = (winner.len() as f64).sqrt().ceil().max(1.0) as u64;
    let rows = (winner.len() as u64).div_ceil(cols);
    let grid_w = cols * CELL;
    let legend_x = grid_w + 24;
    let hist_rows = r.free_extents.len() as u64;
    let height = (rows * CELL).max(40 + (r.owners.len() as u64 + hist_rows + 3) * 18) + 20;
    let width = legend_x + 420;
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
         width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n<style>\n"
    );
    // One class per owner, named by its index, so the cells are countable.
    for o in &r.owners {
        s.push_str(&format!(".{}{{fill:{}}}\n", o.class, o.color));
    }
    s.push_str(&format!(
        "</style>\n<title>{} clusters, {} per cell</title>\n<g id=\"grid\">\n",
        r.clusters, r.clusters_per_cell
    ));
    for (i, w) in winner.iter().enumerate() {
        let (x, y) = ((i as u64 % cols) * CELL, (i as u64 / cols) * CELL);
        s.push_str(&format!("<rect class=\"o{w}\" x=\"{x}\" y=\"{y}\" width=\"{CELL}\" height=\"{CELL}\"/>\n"));
    }
    s.push_str("</g>\n<g id=\"legend\">\n");
    let mut y = 20;
    for o in &r.owners {
        let i = &o.class;
        s.push_str(&format!(
            "<rect class=\"{i} swatch\" x=\"{legend_x}\" y=\"{}\" width=\"12\" height=\"12\"/><text x=\"{}\" y=\"{}\">{} ({} clusters)</text>\n",
            y - 10,
            legend_x + 18,
            y,
            o.name,
            o.clusters
        ));
        y += 18;
    }
    s.push_str(&format!(
        "</g>\n<g id=\"histogram\">\n<text x=\"{legend_x}\" y=\"{}\">free extents (clusters)</text>\n",
        y + 8
    ));
    y += 26;
    let most = r.free_extents.iter().map(|h| h.2).max().unwrap_or(1).max(1);
    for (lo, hi, n) in &r.free_extents {
        let w = (n * 200).div_ceil(most);
        s.push_str(&format!(
            "<text x=\"{legend_x}\" y=\"{y}\">{lo}-{hi}</text><rect x=\"{}\" y=\"{}\" width=\"{w}\" height=\"12\" fill=\"#59a14f\"/><text x=\"{}\" y=\"{y}\">{n}</text>\n",
            legend_x + 130,
            y - 10,
            legend_x + 136 + w
        ));
        y += 18;
    }
    s.push_str("</g>\n</svg>\n");
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(path)?;
        f.write_all(s.as_bytes())?;
        f.flush()
    };
    write().map_err(|e| CmdError::msg(format!("{}: {e}", path.display())))
}
