//! A [`BlockSource`] over a Python file object (`io.BytesIO`, an open file, a dfVFS file object):
//! anything with `seek` and `read` (or `readinto`).

use std::sync::Mutex;

use ocfs2_format::io::BlockSource;
use ocfs2_format::{Error, Result};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes};

/// The Python object and how to read it. Reads take the GIL only around the object's own calls; the
/// mutex keeps each `seek` + `read` pair together when several threads read at once.
#[derive(Debug)]
pub struct PySource {
    obj: Py<PyAny>,
    readinto: bool,
    size: u64,
    lock: Mutex<()>,
}

/// What the file object raised, carried through the library as its I/O error: the binding raises the
/// same Python exception again (`KeyboardInterrupt` included), with the errno of an `OSError` kept for the
/// library's own use.
fn io_error(py: Python<'_>, offset: u64, e: PyErr) -> Error {
    let errno = e
        .value(py)
        .getattr("errno")
        .ok()
        .filter(|_| e.is_instance_of::<pyo3::exceptions::PyOSError>(py))
        .and_then(|n| n.extract::<i32>().ok());
    let source = match errno {
        Some(n) => std::io::Error::new(std::io::Error::from_raw_os_error(n).kind(), e),
        None => std::io::Error::other(e),
    };
    Error::Io { offset, source }
}

impl PySource {
    /// Wraps `obj`, asking it for its size (`get_size()`, else `seek(0, 2)`).
    pub fn new(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        let readinto = !obj.hasattr("read")? && obj.hasattr("readinto")?;
        if !obj.hasattr("seek")? || !(readinto || obj.hasattr("read")?) {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "a volume source is a path or a file object with seek() and read() or readinto()",
            ));
        }
        // dfVFS file objects know their size (`get_size`) and their `seek` returns nothing.
        let size = if obj.hasattr("get_size")? {
            obj.call_method0("get_size")?
        } else {
            match obj.call_method1("seek", (0, 2))? {
                end if end.is_none() => obj.call_method0("tell")?,
                end => end,
            }
        }
        .extract::<u64>()?;
        Ok(PySource { obj: obj.clone().unbind(), readinto, size, lock: Mutex::new(()) })
    }

    /// One `seek` and as many reads as it takes to fill `buf`, with the GIL held.
    fn fill(&self, py: Python<'_>, offset: u64, buf: &mut [u8]) -> Result<()> {
        let obj = self.obj.bind(py);
        obj.call_method1("seek", (offset,)).map_err(|e| io_error(py, offset, e))?;
        let mut done = 0;
        while done < buf.len() {
            let want = buf.len() - done;
            let got = if self.readinto {
                let scratch = PyByteArray::new(py, &vec![0u8; want]);
                let n = obj
                    .call_method1("readinto", (&scratch,))
                    .and_then(|n| if n.is_none() { Ok(0) } else { n.extract::<usize>() })
                    .map_err(|e| io_error(py, offset + done as u64, e))?
                    .min(want);
                buf[done..done + n].copy_from_slice(&scratch.to_vec()[..n]);
                n
            } else {
                let data = obj.call_method1("read", (want,)).map_err(|e| io_error(py, offset + done as u64, e))?;
                let data = data.cast::<PyBytes>().map_err(|e| io_error(py, offset + done as u64, e.into()))?;
                let bytes = data.as_bytes();
                let n = bytes.len().min(want);
                buf[done..done + n].copy_from_slice(&bytes[..n]);
                n
            };
            if got == 0 {
                return Err(Error::Io {
                    offset: offset + done as u64,
                    source: std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        format!("the file object ended at byte {} of {}", offset + done as u64, self.size),
                    ),
                });
            }
            done += got;
        }
        Ok(())
    }
}

impl BlockSource for PySource {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        // Taken before the GIL: a thread holding the GIL never waits for this lock.
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        Python::attach(|py| self.fill(py, offset, buf))
    }
}
