package chdb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// Version is the pinned chDB build flowslo is tested with; scripts/setup-chdb.sh
// installs exactly this npm package version of @chdb/lib-linux-x64-gnu.
const Version = "26.7.3-stable.1"

// DefaultLibPath is where scripts/setup-chdb.sh installs libchdb.so:
// ${XDG_CACHE_HOME:-$HOME/.cache}/flowslo/chdb/<Version>/libchdb.so.
func DefaultLibPath() string {
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "flowslo", "chdb", Version, "libchdb.so")
}

// ResolveLibPath picks the library: the explicit path, else $FLOWSLO_CHDB_LIB,
// else DefaultLibPath.
func ResolveLibPath(explicit string) string {
	if explicit != "" {
		return explicit
	}
	if env := os.Getenv("FLOWSLO_CHDB_LIB"); env != "" {
		return env
	}
	return DefaultLibPath()
}

// lib holds the C entry points of libchdb.so. Pointers are passed as
// unsafe.Pointer so Go memory stays referenced during the call.
type lib struct {
	setSignalHandlers func(enabled int32)
	connect           func(argc int32, argv unsafe.Pointer) unsafe.Pointer
	closeConn         func(connPtr unsafe.Pointer)
	queryN            func(conn uintptr, q unsafe.Pointer, qlen uintptr, f unsafe.Pointer, flen uintptr) uintptr
	queryParamsN      func(conn uintptr, q unsafe.Pointer, qlen uintptr, f unsafe.Pointer, flen uintptr,
		names, nameLens, values, valueLens unsafe.Pointer, n uintptr) uintptr
	resultBuffer  func(res uintptr) unsafe.Pointer
	resultLength  func(res uintptr) uintptr
	resultError   func(res uintptr) unsafe.Pointer
	resultWritten func(res uintptr) uint64
	destroyResult func(res uintptr)

	streamInsertN func(conn uintptr, q unsafe.Pointer, qlen uintptr, f unsafe.Pointer, flen uintptr) uintptr
	streamAppend  func(st uintptr, data unsafe.Pointer, n uintptr) int32
	streamDone    func(st uintptr) uintptr
	streamError   func(st uintptr) unsafe.Pointer
	destroyStream func(st uintptr)
}

var (
	libMu     sync.Mutex
	loaded    *lib
	loadedLib string
)

// loadLib dlopens libchdb.so once per process. It runs at Open, never at
// init, so binaries that never use chDB neither need nor load the library.
func loadLib(path string) (*lib, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, missingLibError(path, err)
	}
	libMu.Lock()
	defer libMu.Unlock()
	if loaded != nil {
		if path != loadedLib {
			return nil, fmt.Errorf("libchdb already loaded from %s, cannot load %s", loadedLib, path)
		}
		return loaded, nil
	}
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	l, err := bind(h)
	if err != nil {
		return nil, fmt.Errorf("bind %s: %w", path, err)
	}
	// Must precede the first connect: otherwise ClickHouse installs its own
	// SIGSEGV handler and a recoverable Go nil dereference hangs the process.
	l.setSignalHandlers(0)
	loaded, loadedLib = l, path
	return l, nil
}

func missingLibError(path string, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("chdb library not found at %s: run `make setup` or set FLOWSLO_CHDB_LIB=/path/to/libchdb.so", path)
	}
	return fmt.Errorf("chdb library at %s: %w", path, err)
}

// bind resolves every symbol first, so a wrong library fails with the name
// of the missing symbol instead of a panic inside purego.
func bind(h uintptr) (*lib, error) {
	l := &lib{}
	syms := []struct {
		name string
		fn   any
	}{
		{"chdb_set_signal_handlers_enabled", &l.setSignalHandlers},
		{"chdb_connect", &l.connect},
		{"chdb_close_conn", &l.closeConn},
		{"chdb_query_n", &l.queryN},
		{"chdb_query_with_params_n", &l.queryParamsN},
		{"chdb_result_buffer", &l.resultBuffer},
		{"chdb_result_length", &l.resultLength},
		{"chdb_result_error", &l.resultError},
		{"chdb_result_rows_written", &l.resultWritten},
		{"chdb_destroy_query_result", &l.destroyResult},
		{"chdb_stream_insert_n", &l.streamInsertN},
		{"chdb_stream_append", &l.streamAppend},
		{"chdb_stream_done", &l.streamDone},
		{"chdb_stream_insert_error", &l.streamError},
		{"chdb_destroy_insert_stream", &l.destroyStream},
	}
	for _, s := range syms {
		if _, err := purego.Dlsym(h, s.name); err != nil {
			return nil, fmt.Errorf("symbol %s: %w", s.name, err)
		}
	}
	for _, s := range syms {
		purego.RegisterLibFunc(s.fn, h, s.name)
	}
	return l, nil
}
