//! What deletion left behind: names still in directories' slack, then freed
//! and orphaned inodes with their deletion time and, where data is still
//! mapped, its sha256.
//!
//! ```sh
//! cargo run -p ocfs2-format --example deleted -- fixtures/B.img.zst
//! ```

use std::error::Error;
use std::time::UNIX_EPOCH;

use ocfs2_format::Volume;
use sha2::{Digest, Sha256};

fn main() -> Result<(), Box<dyn Error>> {
    let image = std::env::args().nth(1).ok_or("usage: deleted IMAGE")?;
    let vol = Volume::open(&image)?;
    for entry in vol.walk("/").sort_by_name(true) {
        let entry = entry?;
        if !entry.file_type().is_dir() {
            continue;
        }
        for gone in vol.deleted_entries_ino(entry.ino())? {
            let ino = gone.ino().map_or("unknown".to_string(), |i| i.to_string());
            let dir = String::from_utf8_lossy(entry.path()).trim_end_matches('/').to_string();
            println!("name {dir}/{} type {:?} inode {ino}", String::from_utf8_lossy(gone.name()), gone.file_type());
        }
    }
    for dead in vol.deleted_inodes()? {
        let meta = dead.metadata();
        let when = match dead.deleted() {
            Some(t) => t.duration_since(UNIX_EPOCH)?.as_secs().to_string(),
            None => "never (orphan)".to_string(),
        };
        let data = if dead.has_data() {
            let mut h = Sha256::new();
            std::io::copy(&mut dead.open()?, &mut h)?;
            h.finalize().iter().map(|b| format!("{b:02x}")).collect()
        } else {
            "none".to_string()
        };
        println!(
            "inode {} {:?} size {} uid {} deleted {when} orphan {} data {data}",
            dead.ino(),
            meta.file_type(),
            meta.len(),
            meta.uid(),
            dead.is_orphan()
        );
    }
    Ok(())
}
