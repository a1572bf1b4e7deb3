//! Acting on errors: reads each path and says what went wrong in terms a
//! program can act on: the typed `Error`, its `errno`, and the `io::ErrorKind`
//! it becomes through `std::io` (the `Error` stays inside).
//!
//! ```sh
//! cargo run -p ocfs2-format --example errors -- fixtures/A-default.img.zst /small/hello.txt /nope /small
//! ```

use std::io::Read;

use ocfs2_format::{Error, Volume};

/// What a program would do about `e`.
fn advice(e: &Error) -> String {
    match e {
        Error::NotFound(_) => "no such file: skip it".into(),
        Error::IsADirectory(_) => "a directory: list it instead".into(),
        Error::NotADirectory(_) => "a path through a file: fix the path".into(),
        Error::Truncated { size, .. } => format!("the image is cut short at {size} bytes: get a whole copy"),
        Error::Open { source, .. } => format!("cannot open the image ({source}): check the path"),
        Error::NotOcfs2 => "not an OCFS2 volume: wrong file or offset".into(),
        e => match e.corruption() {
            Some(c) => format!("corrupt: block {} {}.{}: run the check", c.blkno, c.structure, c.field),
            None => format!("other: {e}"),
        },
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((image, paths)) = args.split_first() else {
        eprintln!("usage: errors IMAGE PATH...");
        std::process::exit(2);
    };
    let vol = match Volume::open(image) {
        Ok(v) => v,
        Err(e) => {
            println!("open: errno {} {}", e.errno(), advice(&e));
            std::process::exit(1);
        }
    };
    for path in paths {
        // Through std::io: the kind says what happened, the Error inside says where.
        let read = vol.open_file(path).map_err(std::io::Error::from).and_then(|mut f| {
            let mut buf = Vec::new();
            f.read_to_end(&mut buf).map(|_| buf)
        });
        match read {
            Ok(buf) => println!("{path}: ok, {} bytes", buf.len()),
            Err(io) => {
                let inner = io.get_ref().and_then(|e| e.downcast_ref::<Error>());
                let (errno, what) = inner.map_or((0, io.to_string()), |e| (e.errno(), advice(e)));
                println!("{path}: {:?} errno {errno}: {what}", io.kind());
            }
        }
    }
}
