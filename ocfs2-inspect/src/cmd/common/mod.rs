//! What several commands show: the reports and renderings of one structure
//! each, kept here so that no command module imports another.

pub mod damage;
pub mod inode;
pub mod listing;
pub mod mkfs_cmd;
pub mod superblock;
