#ifndef HILUM_IO_H
#define HILUM_IO_H

/// Flushes the C standard output stream (where Swift's `print` writes) and reports whether everything written through
/// it reached its file: 0 if so, -1 if a write failed now or earlier (a full disk, a closed pipe with SIGPIPE ignored).
int hilum_stdout_finish(void);

#endif
