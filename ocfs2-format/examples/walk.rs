//! Lists a volume's tree like `find -ls`, sorted by name: one line per entry
//! with its type, mode, links, size and path (`-> target` for symlinks).
//!
//! ```sh
//! cargo run -p ocfs2-format --example walk -- fixtures/A-default.img.zst /d1
//! ```

use std::error::Error;

use ocfs2_format::{FileType, Volume};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (image, start) = match &args[..] {
        [image] => (image, "/"),
        [image, start] => (image, start.as_str()),
        _ => return Err("usage: walk IMAGE [PATH]".into()),
    };
    let vol = Volume::open(image)?;
    for entry in vol.walk(start).sort_by_name(true) {
        let entry = entry?;
        let meta = entry.metadata()?;
        let kind = match entry.file_type() {
            FileType::Dir => 'd',
            FileType::Symlink => 'l',
            FileType::File => '-',
            _ => '?',
        };
        let path = String::from_utf8_lossy(entry.path());
        let mut line = format!("{kind} {:04o} {:>3} {:>10} {path}", meta.permissions(), meta.nlink(), meta.len());
        if entry.file_type().is_symlink() {
            line += &format!(" -> {}", String::from_utf8_lossy(&vol.read_link_ino(entry.ino())?));
        }
        println!("{line}");
    }
    Ok(())
}
