//! Prints `sha256  size  path` for every regular file of a volume (like
//! `sha256sum`), sorted by path. A hard link met again is not read twice: its
//! hash is taken from the first name.
//!
//! ```sh
//! cargo run -p ocfs2-format --example manifest -- fixtures/A-default.img.zst
//! ```

use std::collections::HashMap;
use std::error::Error;

use ocfs2_format::Volume;
use sha2::{Digest, Sha256};

fn main() -> Result<(), Box<dyn Error>> {
    let image = std::env::args().nth(1).ok_or("usage: manifest IMAGE")?;
    let vol = Volume::open(&image)?;
    let mut by_inode: HashMap<u64, String> = HashMap::new();
    for entry in vol.walk("/").sort_by_name(true) {
        let entry = entry?;
        if !entry.file_type().is_file() {
            continue;
        }
        let hash = if entry.hard_link_seen() {
            by_inode[&entry.ino()].clone()
        } else {
            let mut file = vol.open_file_ino(entry.ino())?;
            let mut h = Sha256::new();
            std::io::copy(&mut file, &mut h)?; // streams: 1 MiB at most per read
            let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
            by_inode.insert(entry.ino(), hex.clone());
            hex
        };
        let size = vol.metadata_ino(entry.ino())?.len();
        println!("{hash}  {size}  {}", String::from_utf8_lossy(entry.path()));
    }
    Ok(())
}
