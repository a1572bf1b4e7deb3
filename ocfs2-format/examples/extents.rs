//! A file's layout, like `filefrag -v`: each run of data, unwritten
//! (preallocated) space or hole, in bytes, with where the data lies on the
//! volume; then where `SEEK_DATA` and `SEEK_HOLE` land.
//!
//! ```sh
//! cargo run -p ocfs2-format --example extents -- fixtures/A-default.img.zst /sparse/holey
//! ```

use std::error::Error;

use ocfs2_format::{Run, Volume};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [image, path] = &args[..] else {
        return Err("usage: extents IMAGE PATH".into());
    };
    let vol = Volume::open(image)?;
    let file = vol.open_file(path)?;
    println!("{path}: {} bytes, {} allocated", file.len(), file.metadata().blocks() * 512);
    for run in file.runs() {
        match run {
            Run::Data { logical, physical, len, refcounted } => {
                let shared = if refcounted { " shared" } else { "" };
                println!("data      {logical:>12} +{len:<10} at {physical}{shared}");
            }
            Run::Unwritten { logical, physical, len } => println!("unwritten {logical:>12} +{len:<10} at {physical}"),
            Run::Hole { logical, len } => println!("hole      {logical:>12} +{len}"),
        }
    }
    let show = |o: Option<u64>| o.map_or("none".to_string(), |o| o.to_string());
    println!("seek_data(0) {} seek_hole(0) {}", show(file.next_data(0)), show(file.next_hole(0)));
    Ok(())
}
