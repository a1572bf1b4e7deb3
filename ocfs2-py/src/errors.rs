//! The library's errors as Python exceptions: `ocfs2.Error` and its subclasses for what is wrong with
//! the volume, `OSError` (with errno) for what is wrong with the medium or the request.

use ocfs2_format::Error;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError};
use pyo3::prelude::*;

create_exception!(ocfs2, Ocfs2Error, PyException, "Base class of the errors about the volume's contents.");
create_exception!(
    ocfs2,
    CorruptError,
    Ocfs2Error,
    "On-disk data violates the format: `block`, `structure`, `field`, `expected` and `actual` say where and how."
);
create_exception!(ocfs2, NotOcfs2Error, Ocfs2Error, "No OCFS2 superblock at any probe offset.");
create_exception!(
    ocfs2,
    UnsupportedError,
    Ocfs2Error,
    "The volume uses a feature this library does not support: `what` and `bit` name it."
);

/// Converts a library error. Needs the GIL to attach attributes to the exception.
pub fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::Corrupt(c) => {
            let err = CorruptError::new_err(msg);
            let v = err.value(py);
            // Setting attributes on a fresh exception instance cannot fail short of memory exhaustion,
            // which Python reports by itself.
            let _ = v.setattr("block", c.blkno);
            let _ = v.setattr("structure", c.structure);
            let _ = v.setattr("field", c.field);
            let _ = v.setattr("expected", c.expected.to_string());
            let _ = v.setattr("actual", c.actual.to_string());
            err
        }
        Error::Truncated { blkno, .. } => {
            let err = CorruptError::new_err(msg);
            let v = err.value(py);
            let _ = v.setattr("block", blkno);
            let _ = v.setattr("structure", "image");
            let _ = v.setattr("field", "size");
            let _ = v.setattr("expected", format!("block {blkno} inside the image"));
            let _ = v.setattr("actual", "past its end");
            err
        }
        Error::NotOcfs2 => NotOcfs2Error::new_err(msg),
        Error::Unsupported { what, bit } => {
            let err = UnsupportedError::new_err(msg);
            let v = err.value(py);
            let _ = v.setattr("what", what);
            let _ = v.setattr("bit", bit);
            err
        }
        Error::Open { ref path, ref source } => {
            PyOSError::new_err((e.errno(), source.to_string(), path.display().to_string()))
        }
        // A Python file object's own exception, raised again as it was.
        Error::Io { ref source, .. } => match source.get_ref().and_then(|r| r.downcast_ref::<PyErr>()) {
            Some(original) => original.clone_ref(py),
            None => PyOSError::new_err((e.errno(), msg)),
        },
        // Not found, not a directory, a directory, a symlink loop, an invalid request, the medium.
        _ => PyOSError::new_err((e.errno(), msg)),
    }
}

/// `.map_err(err(py))`.
pub fn err(py: Python<'_>) -> impl Fn(Error) -> PyErr + '_ {
    move |e| to_py(py, e)
}
