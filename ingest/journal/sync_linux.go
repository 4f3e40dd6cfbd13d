package journal

import (
	"os"
	"syscall"
)

// datasync flushes f's data and the metadata needed to read it back
// (fdatasync: the file's size, not its times).
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
