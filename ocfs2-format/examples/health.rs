//! A health report: identity, features, space, each slot's journal, and the
//! read-only check's verdict (fsck.ocfs2 -fn's passes).
//!
//! ```sh
//! cargo run -p ocfs2-format --example health -- fixtures/B.img.zst
//! ```

use std::error::Error;

use ocfs2_format::cluster::{JournalState, SlotMap};
use ocfs2_format::Volume;

fn main() -> Result<(), Box<dyn Error>> {
    let image = std::env::args().nth(1).ok_or("usage: health IMAGE")?;
    let vol = Volume::open(&image)?;
    println!("label {}", vol.label());
    println!("uuid {}", vol.uuid_string());
    let [compat, incompat, ro] = vol.features();
    println!("features {} | {} | {}", compat.join(","), incompat.join(","), ro.join(","));
    let s = vol.statfs()?;
    let used = s.blocks - s.blocks_free;
    println!("space {} of {} bytes used", used * u64::from(s.block_size), s.blocks * u64::from(s.block_size));
    let map = SlotMap::read(&vol)?;
    for j in JournalState::read_all(&vol)? {
        let node = map.nodes[usize::from(j.slot)].map_or("-".to_string(), |n| n.to_string());
        let state = if j.dirty { "dirty (needs recovery)" } else { "clean" };
        println!("slot {} node {node} journal {state}", j.slot);
    }
    let report = ocfs2_format::check::check(&vol, &mut |_| {})?;
    for f in &report.findings {
        println!("{} {f}", f.severity.name());
    }
    println!("{}", if report.is_clean() { "clean" } else { "errors found" });
    Ok(())
}
