//! System files by name: the lookup lives here, beside the directory reader it
//! needs, so that [`Volume`] (below `fs`) never calls up into `fs`.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::layout::system_file::SystemFile;
use crate::volume::Volume;

use super::dir::read_dir;

impl Volume {
    /// Finds a system file's inode number (`SystemFile::GLOBAL_BITMAP`,
    /// `SystemFile::journal(3)`, ...).
    pub fn system_file(&self, file: SystemFile) -> Result<u64> {
        let map = match self.sysdir.get() {
            Some(m) => m,
            None => {
                let sysdir = self.inode(self.system_dir_blkno())?;
                let mut map = HashMap::new();
                for e in read_dir(self, &sysdir)? {
                    map.insert(e.name, e.inode);
                }
                self.sysdir.get_or_init(|| map)
            }
        };
        map.get(file.name().as_bytes()).copied().ok_or_else(|| Error::NotFound(format!("system file {file}")))
    }
}
