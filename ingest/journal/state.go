package journal

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
)

// The state file holds two slots of stateSlot bytes, written in turn in
// place: each slot is a sequence number, a length, a CRC-32C and the state
// as JSON, and the valid slot with the higher sequence is the state. One
// write and one fdatasync per change, where replacing a file by rename
// costs a create, two fsyncs and a rename: the state changes twice per
// insert, and a client that waits for each export waits behind it.
//
// A slot torn by a crash fails its CRC, and the other slot, one change
// older, is read instead. That is safe because the write had not
// returned: a group whose record was lost had not been inserted yet, and
// a group whose Done was lost is inserted again under its token, which
// ClickHouse skips.
const (
	stateFile  = "state"
	stateSlot  = 4096
	slotHeader = 16
)

// state is what the state file holds.
type state struct {
	ID     string      `json:"id"`
	Done   uint64      `json:"done"`
	Groups [][2]uint64 `json:"groups,omitempty"` // recorded and not done: [first, end)
	// Tail is the first sequence number of the newest segment, recorded
	// when it starts: a newest segment file gone (the one file no other
	// tells of) is then found and said at Open. Absent in state files
	// written before it was.
	Tail *uint64 `json:"tail,omitempty"`
}

// stateStore writes the state file's slots.
type stateStore struct {
	f     *os.File
	path  string
	seq   uint64 // of the slot written last
	fsync bool
}

// openState opens dir's state file, or creates it holding fresh (and
// says so: created).
func openState(dir string, fresh state, fsync bool) (s *stateStore, st state, created bool, err error) {
	path := filepath.Join(dir, stateFile)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		s, err := createState(dir, path, fresh, fsync)
		return s, fresh, true, err
	}
	if err != nil {
		return nil, state{}, false, fmt.Errorf("journal %s: %w", dir, err)
	}
	s = &stateStore{f: f, path: path, fsync: fsync}
	if st, err = s.read(); err != nil {
		_ = f.Close()
		return nil, state{}, false, fmt.Errorf("journal %s: %s is damaged (%v): remove it to store again every entry the segment files hold (those stored already are stored twice), or move the directory aside to drop them", dir, stateFile, err)
	}
	return s, st, false, nil
}

// createState makes the state file with both slots written as zeros,
// not left as a hole: the blocks are the file's from then on, so a state
// write never needs free space, and a queue that filled its disk can
// still record what it stores and drain.
func createState(dir, path string, fresh state, fsync bool) (*stateStore, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", dir, err)
	}
	s := &stateStore{f: f, path: path, fsync: fsync}
	fail := func(err error) (*stateStore, error) {
		// Removed, so the next Open does not find an empty state file.
		return nil, errors.Join(fmt.Errorf("journal %s: %w", dir, err), f.Close(), os.Remove(path))
	}
	if _, err := f.WriteAt(make([]byte, 2*stateSlot), 0); err != nil {
		return fail(err)
	}
	if err := s.write(fresh); err != nil {
		return fail(err)
	}
	if fsync {
		if err := errors.Join(f.Sync(), syncDir(dir)); err != nil {
			return fail(err)
		}
	}
	return s, nil
}

// read returns the state of the valid slot with the higher sequence.
func (s *stateStore) read() (state, error) {
	buf := make([]byte, 2*stateSlot)
	if _, err := s.f.ReadAt(buf, 0); err != nil {
		return state{}, err
	}
	var best state
	found := false
	for k := range 2 {
		seq, st, ok := parseSlot(buf[k*stateSlot : (k+1)*stateSlot])
		if ok && (!found || seq > s.seq) {
			best, s.seq, found = st, seq, true
		}
	}
	if !found {
		return state{}, errors.New("no slot passes its checksum")
	}
	return best, nil
}

func parseSlot(b []byte) (uint64, state, bool) {
	seq := binary.LittleEndian.Uint64(b[0:8])
	n := int(binary.LittleEndian.Uint32(b[8:12]))
	if seq == 0 || n == 0 || n > stateSlot-slotHeader {
		return 0, state{}, false
	}
	if crc32.Checksum(b[slotHeader:slotHeader+n], castagnoli)^uint32(seq) != binary.LittleEndian.Uint32(b[12:16]) {
		return 0, state{}, false
	}
	var st state
	if err := json.Unmarshal(b[slotHeader:slotHeader+n], &st); err != nil || st.ID == "" {
		return 0, state{}, false
	}
	return seq, st, true
}

// write puts st in the slot not written last, and syncs it.
func (s *stateStore) write(st state) error {
	body, _ := json.Marshal(st) // strings and integers
	if len(body) > stateSlot-slotHeader {
		return fmt.Errorf("journal state of %d bytes does not fit its slot", len(body))
	}
	seq := s.seq + 1
	b := make([]byte, slotHeader+len(body))
	binary.LittleEndian.PutUint64(b[0:8], seq)
	binary.LittleEndian.PutUint32(b[8:12], uint32(len(body)))
	binary.LittleEndian.PutUint32(b[12:16], crc32.Checksum(body, castagnoli)^uint32(seq))
	copy(b[slotHeader:], body)
	if _, err := stateWriteAt(s.f, b, int64(seq%2)*stateSlot); err != nil {
		return fmt.Errorf("journal state: %w", err)
	}
	if s.fsync {
		if err := datasync(s.f); err != nil {
			return fmt.Errorf("journal state: %w", err)
		}
	}
	s.seq = seq
	return nil
}

func (s *stateStore) close() error { return s.f.Close() }

// stateWriteAt writes a slot; a var for tests (a failing disk).
var stateWriteAt = func(f *os.File, b []byte, off int64) (int, error) { return f.WriteAt(b, off) }
