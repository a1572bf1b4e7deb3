//! Opening a volume from what a program already has: a path, an open file
//! (through a sub-range window when the volume sits at an offset inside a disk
//! image), any `Read + Seek`, or bytes in memory (not copied).
//!
//! ```sh
//! cargo run -p ocfs2-format --example sources -- disk.img 1048576
//! ```

use std::error::Error;
use std::io::BufReader;

use ocfs2_format::io::RangeSource;
use ocfs2_format::{OpenOptions, Volume};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (image, offset) = match &args[..] {
        [image] => (image, 0),
        [image, offset] => (image, offset.parse()?),
        _ => return Err("usage: sources IMAGE [BYTE_OFFSET]".into()),
    };
    let at = OpenOptions { offset, ..Default::default() };
    let report = |how: &str, vol: Volume| -> Result<(), Box<dyn Error>> {
        let s = vol.statfs()?;
        println!("{how}: label {} uuid {} {} blocks of {}", vol.label(), vol.uuid_string(), s.blocks, s.block_size);
        Ok(())
    };
    report("path", Volume::open_with(image, at)?)?;
    let window = RangeSource::from_offset(std::fs::File::open(image)?, offset)?;
    report("file window", Volume::from_source(Box::new(window), OpenOptions::default())?)?;
    report("reader", Volume::from_reader(BufReader::new(std::fs::File::open(image)?), at)?)?;
    report("bytes", Volume::from_bytes(std::fs::read(image)?, at)?)?;
    Ok(())
}
