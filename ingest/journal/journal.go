package journal

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// Options bound a journal.
type Options struct {
	// MaxBytes bounds what is appended and not yet stored (entries and
	// their headers); beyond it Append returns an *ErrFull. Required.
	MaxBytes int64
	// SegmentBytes is the size past which appends start a new segment
	// file; stored segments are removed whole. Default 64 MiB.
	SegmentBytes int64
	// NoFSync skips the fsync of appends and of the state file: a process
	// crash loses nothing (the kernel has the pages), a machine crash may
	// lose the last appends.
	NoFSync bool
	// Damaged is told of each entry Next cannot read back (damaged or
	// missing files, a checksum mismatch): Next leaves it out of its
	// group and goes on with the rest, which a stalled queue would hold
	// forever. Called from Next's goroutine; nil: not told.
	Damaged func(seq uint64, err error)
}

// headerSize is an entry's length and CRC-32C, before its payload.
const headerSize = 8

const (
	segmentExt = ".seg"
	// lockFile is held (flock) while the journal is open: two processes
	// appending to one tail would interleave their entries and each
	// store the other's groups.
	lockFile = "lock"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrClosed is returned by calls on a closed journal.
var ErrClosed = errors.New("journal closed")

// ErrFull is Append's refusal when the entry would take the journal's
// unstored bytes past Options.MaxBytes.
type ErrFull struct{ Pending, Max int64 }

func (e *ErrFull) Error() string {
	return fmt.Sprintf("journal full: %d of %d bytes waiting to be stored", e.Pending, e.Max)
}

// Group is the consecutive entries [First, End) the consumer stores as
// one insert.
type Group struct{ First, End uint64 }

// Journal is one signal's queue on disk. Append may be called from any
// goroutine; Next is meant for one goroutine, Done for one.
type Journal struct {
	dir  string
	opts Options
	id   string // made with the directory: tokens of a new journal never repeat an old one's

	wmu  sync.Mutex // serialises appends: the tail file's writes and rotation
	tail *os.File   // the last segment, open for appends (under wmu)
	// tailAlloc is the tail file's size (under wmu): its entries, then
	// zeros written ahead of them (see write).
	tailAlloc int64
	ahead     atomic.Int64 // the zeros after the tail's last entry (see Ahead)
	lock      *os.File     // holds the directory's lock while open
	st        *stateStore  // the state file (under mu)

	mu      sync.Mutex
	changed *sync.Cond // an append, a Done or Close
	segs    []*segment // in order; the last is the tail
	next    uint64     // sequence number of the next entry appended
	done    uint64     // entries below are stored
	saved   uint64     // the stored mark the state file holds: segments before it may go
	groups  []Group    // recorded and not done, in order, from done on
	handed  int        // how many of groups Next has handed out since Open
	pending int64      // bytes of the entries from done on
	grouped int64      // bytes of the entries groups hold (a part of pending)
	closed  bool
	broken  error // an append failed and could not be undone: no more appends
}

// segment is one file of entries, first being the sequence number of its
// first entry, offsets each readable entry's place in it and size the
// bytes of its readable entries. Damage found at Open (a segment cut
// short or garbled, a segment file gone) leaves lost entries after the
// readable ones, numbered so that the next segment's entries keep theirs;
// damage says what happened to them.
type segment struct {
	first   uint64
	path    string // "" for the entries of a missing first segment
	offsets []int64
	crcs    []uint32 // each readable entry's CRC, as its header says
	size    int64
	lost    uint64
	damage  string
	r       *os.File // for reads, opened on first use (under Journal.mu)
}

func (s *segment) end() uint64 { return s.first + uint64(len(s.offsets)) + s.lost }

// entrySize is the bytes of entry i of s, header included (0 if lost).
func (s *segment) entrySize(i int) int64 {
	if i >= len(s.offsets) {
		return 0
	}
	if i+1 < len(s.offsets) {
		return s.offsets[i+1] - s.offsets[i]
	}
	return s.size - s.offsets[i]
}

// state is the journal's state to write (under mu).
func (j *Journal) state() state {
	st := state{ID: j.id, Done: j.done}
	for _, g := range j.groups {
		st.Groups = append(st.Groups, [2]uint64{g.First, g.End})
	}
	if n := len(j.segs); n > 0 && j.segs[n-1].path != "" {
		tail := j.segs[n-1].first
		st.Tail = &tail
	}
	return st
}

// Open opens the journal in dir, creating it if missing, and takes up
// what an earlier run left: the stored mark, the group being stored and
// every entry after the mark.
func Open(dir string, o Options) (*Journal, error) {
	if o.MaxBytes <= 0 {
		return nil, errors.New("journal: MaxBytes must be positive")
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = 64 << 20
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("journal %s: %w", dir, err)
	}
	j := &Journal{dir: dir, opts: o}
	j.changed = sync.NewCond(&j.mu)
	if err := j.takeLock(); err != nil {
		return nil, err
	}
	if err := j.open(); err != nil {
		return nil, errors.Join(err, j.lock.Close())
	}
	return j, nil
}

// takeLock locks the directory for this journal, or says who holds it.
func (j *Journal) takeLock() error {
	f, err := os.OpenFile(filepath.Join(j.dir, lockFile), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("journal %s: %w", j.dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return fmt.Errorf("journal %s is in use by another process (%v): give each flowslo its own queue dir", j.dir, err)
	}
	j.lock = f
	return nil
}

// open takes up what an earlier run left, under the lock.
func (j *Journal) open() error {
	id := make([]byte, 8)
	_, _ = rand.Read(id) // never fails (crypto/rand)
	store, st, fresh, err := openState(j.dir, state{ID: hex.EncodeToString(id)}, !j.opts.NoFSync)
	if err != nil {
		return err
	}
	j.st = store
	if err := j.take(st, fresh); err != nil {
		return errors.Join(err, store.close())
	}
	return nil
}

// take takes up the state st and the segments (a fresh state: none was
// found).
func (j *Journal) take(st state, fresh bool) error {
	j.id, j.done, j.saved = st.ID, st.Done, st.Done
	for _, g := range st.Groups {
		j.groups = append(j.groups, Group{g[0], g[1]})
	}
	if err := j.loadSegments(); err != nil {
		return err
	}
	j.findTailGone(st)
	if fresh {
		if err := j.begin(); err != nil {
			return err
		}
	}
	if err := j.check(); err != nil {
		return err
	}
	j.dropStored()
	return j.openTail()
}

// findTailGone looks for the newest segment the state records (st.Tail)
// among the segments found, and says (Options.Damaged) if it is gone: its
// entries were acknowledged and no other file tells how many there were.
// The numbers up to it are kept for lost entries, so the entries appended
// from now on are numbered after the segments that are still there.
func (j *Journal) findTailGone(st state) {
	if st.Tail == nil || *st.Tail < j.done {
		return
	}
	tail := *st.Tail
	for _, s := range j.segs {
		if s.first >= tail {
			return // there, or the record is older than the segments
		}
	}
	name := filepath.Join(j.dir, fmt.Sprintf("%020d%s", tail, segmentExt))
	if j.next < tail {
		j.segs = append(j.segs, &segment{first: j.next, lost: tail - j.next,
			damage: fmt.Sprintf("entries %d to %d are missing: the segment files up to %s are gone", j.next, tail, name)})
		j.next = tail
	}
	if j.opts.Damaged != nil {
		j.opts.Damaged(tail, fmt.Errorf("journal %s: the newest segment file %s is gone: the entries acknowledged into it (from %d on, how many is not known) are lost", j.dir, name, tail))
	}
}

// begin writes the first state file. Segments without one (it was
// removed) are all stored again under a new id: duplicates rather than
// losses, and no token of the old id repeated over other rows.
func (j *Journal) begin() error {
	if len(j.segs) > 0 {
		j.done, j.saved = j.segs[0].first, j.segs[0].first
	}
	return j.save()
}

// save writes the journal's state (under mu). Once the file holds the
// stored mark, the segments before it may go.
func (j *Journal) save() error {
	st := j.state()
	if err := j.st.write(st); err != nil {
		return err
	}
	j.saved = st.Done
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// loadSegments indexes the segment files. Every segment but the last
// must be whole; the last is cut after its last whole entry.
func (j *Journal) loadSegments() error {
	names, err := filepath.Glob(filepath.Join(j.dir, "*"+segmentExt))
	if err != nil {
		return fmt.Errorf("journal %s: %w", j.dir, err)
	}
	for _, name := range names {
		first, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(name), segmentExt), 10, 64)
		if err != nil {
			return fmt.Errorf("journal %s: %s is not a segment name: move it out of the directory", j.dir, name)
		}
		j.segs = append(j.segs, &segment{first: first, path: name})
	}
	sort.Slice(j.segs, func(a, b int) bool { return j.segs[a].first < j.segs[b].first })
	for i, s := range j.segs {
		last := i == len(j.segs)-1
		if err := s.index(last); err != nil {
			return fmt.Errorf("journal %s: %w", j.dir, err)
		}
		if i > 0 {
			if err := j.segs[i-1].reach(s.first); err != nil {
				return fmt.Errorf("journal %s: %w", j.dir, err)
			}
		}
	}
	if len(j.segs) > 0 {
		j.next = j.segs[len(j.segs)-1].end()
	} else {
		j.next = j.done
	}
	return nil
}

// reach makes s, which is not the last segment, end where the next one
// starts (at next): entries missing from it, cut off or in a segment file
// gone, become lost entries, so the rest keeps its numbers.
func (s *segment) reach(next uint64) error {
	end := s.end()
	switch {
	case end < next && s.damage == "":
		s.damage = fmt.Sprintf("entries %d to %d are missing: %s ends early, or a segment file after it is gone", end, next, s.path)
		fallthrough
	case end < next:
		s.lost = next - end
	case end > next && s.damage == "":
		return fmt.Errorf("%s holds entries %d to %d, past %d where the next segment starts: move the segment files that overlap out of the directory", s.path, s.first, end, next)
	case end > next:
		// Garbled headers can make up entries: keep those the
		// numbering has room for; their checksums tell at read.
		s.offsets, s.crcs = s.offsets[:next-s.first], s.crcs[:next-s.first]
	}
	return nil
}

// index reads s's entry headers. In the tail segment (last) it checks
// each payload's CRC and cuts the file after the last whole entry: a
// torn append had not returned, so nobody was told it was kept. In
// another segment damage ends the readable entries (reach numbers the
// lost ones) and the file is kept as it is.
func (s *segment) index(last bool) error {
	f, err := os.OpenFile(s.path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	var off int64
	var hdr [headerSize]byte
	for off < info.Size() {
		size, err := readEntryAt(f, off, info.Size(), hdr[:], last)
		if errors.Is(err, errZeros) {
			break // the zeros written ahead (see aheadBytes): the entries end here
		}
		if err != nil {
			if !last {
				s.damage = fmt.Sprintf("%s is damaged at byte %d (%v)", s.path, off, err)
			}
			break
		}
		s.offsets = append(s.offsets, off)
		s.crcs = append(s.crcs, binary.LittleEndian.Uint32(hdr[4:8]))
		off += size
	}
	if last && off < info.Size() {
		if err := f.Truncate(off); err != nil {
			return fmt.Errorf("%s: cut the torn entry at byte %d: %w", s.path, off, err)
		}
	}
	s.size = off
	return nil
}

// errZeros: a header of zeros, which no entry has (an empty payload's
// CRC-32C is 0, and Append refuses empty payloads).
var errZeros = errors.New("zeros where a header should be")

// readEntryAt reads the header at off and, if verify, the payload and its
// CRC. It returns the entry's whole size, which must end within the
// file's size.
func readEntryAt(f *os.File, off, size int64, hdr []byte, verify bool) (int64, error) {
	if _, err := f.ReadAt(hdr, off); err != nil {
		return 0, fmt.Errorf("header: %w", err)
	}
	if binary.LittleEndian.Uint64(hdr) == 0 {
		return 0, errZeros
	}
	n := int64(binary.LittleEndian.Uint32(hdr[0:4]))
	if off+headerSize+n > size {
		return 0, fmt.Errorf("an entry of %d bytes runs past the file's end at byte %d", n, size)
	}
	if !verify {
		return headerSize + n, nil
	}
	payload := make([]byte, n)
	if _, err := f.ReadAt(payload, off+headerSize); err != nil {
		return 0, fmt.Errorf("payload of %d bytes: %w", n, err)
	}
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(hdr[4:8]) {
		return 0, errors.New("checksum mismatch")
	}
	return headerSize + n, nil
}

// check compares the state with the segments found.
func (j *Journal) check() error {
	if j.next < j.done {
		return fmt.Errorf("journal %s: the state says %d entries are stored but the segments end at %d: move the directory aside to start an empty queue", j.dir, j.done, j.next)
	}
	if len(j.segs) > 0 && j.segs[0].first > j.done {
		lost := &segment{first: j.done, lost: j.segs[0].first - j.done,
			damage: fmt.Sprintf("entries %d to %d are missing: the segment file before %s is gone", j.done, j.segs[0].first, j.segs[0].path)}
		j.segs = append([]*segment{lost}, j.segs...)
	}
	at := j.done
	for _, g := range j.groups {
		if g.First != at || g.End <= g.First || g.End > j.next {
			return fmt.Errorf("journal %s: a group being stored, entries %d to %d, does not follow entry %d within the segments (%d to %d): move the directory aside to start an empty queue", j.dir, g.First, g.End, at, j.done, j.next)
		}
		at = g.End
	}
	for _, s := range j.segs {
		for i := range s.offsets {
			if s.first+uint64(i) >= j.done {
				j.pending += s.entrySize(i)
			}
		}
	}
	for _, g := range j.groups {
		j.grouped += j.bytesOf(g)
	}
	return nil
}

// openTail opens the last segment for appends, or starts one.
func (j *Journal) openTail() error {
	if len(j.segs) == 0 || j.segs[len(j.segs)-1].path == "" {
		_, err := j.rotate()
		return err
	}
	s := j.segs[len(j.segs)-1]
	f, err := os.OpenFile(s.path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("journal %s: %w", j.dir, err)
	}
	j.tail, j.tailAlloc = f, s.size // index cut the file after its last entry
	j.ahead.Store(0)
	return nil
}

// rotate starts a new tail segment at the next sequence number.
func (j *Journal) rotate() (*segment, error) {
	s := &segment{first: j.next, path: filepath.Join(j.dir, fmt.Sprintf("%020d%s", j.next, segmentExt))}
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("journal %s: new segment: %w", j.dir, err)
	}
	if !j.opts.NoFSync {
		if err := syncDir(j.dir); err != nil {
			// Removed, or every later rotation would find it taken.
			return nil, errors.Join(fmt.Errorf("journal %s: new segment: %w", j.dir, err), f.Close(), os.Remove(s.path))
		}
	}
	_ = j.closeTail() // only its zeros are at stake
	j.tail, j.tailAlloc = f, 0
	j.ahead.Store(0)
	j.mu.Lock()
	j.segs = append(j.segs, s)
	// Recorded so that losing this file is found (findTailGone). A
	// failed write is not the append's failure: the next state write
	// records it.
	_ = j.save()
	j.mu.Unlock()
	return s, nil
}

// Ahead is the bytes of zeros written ahead after the tail's entries:
// disk the next appends write into without taking more. A free-space
// check counts them as free, or the zeros would make a nearly full disk
// refuse appends that need no more of it.
func (j *Journal) Ahead() int64 { return j.ahead.Load() }

// closeTail closes the tail file (under wmu), cut after its last entry:
// the zeros written ahead are given back. Every write through it was
// synced; if the cut is lost in a crash, index stops at the zeros.
func (j *Journal) closeTail() error {
	if j.tail == nil {
		return nil
	}
	j.mu.Lock()
	size := j.segs[len(j.segs)-1].size
	j.mu.Unlock()
	var err error
	if j.tailAlloc > size {
		err = j.tail.Truncate(size)
	}
	return errors.Join(err, j.tail.Close())
}

// Append writes payload as the next entry and returns once it is on disk
// (fsynced unless Options.NoFSync).
func (j *Journal) Append(payload []byte) error {
	j.wmu.Lock()
	defer j.wmu.Unlock()
	size := headerSize + int64(len(payload))
	j.mu.Lock()
	closed, broken, pending := j.closed, j.broken, j.pending
	tail := j.segs[len(j.segs)-1]
	tailSize := tail.size
	j.mu.Unlock()
	switch {
	case len(payload) == 0:
		return errors.New("journal: an empty entry cannot be appended")
	case closed:
		return ErrClosed
	case broken != nil:
		return broken
	case pending+size > j.opts.MaxBytes:
		return &ErrFull{Pending: pending, Max: j.opts.MaxBytes}
	}
	if tailSize >= j.opts.SegmentBytes {
		s, err := j.rotate()
		if err != nil {
			return err
		}
		tail, tailSize = s, 0
	}
	err := j.write(payload, tailSize)
	if errors.Is(err, syscall.ENOSPC) && j.trim() {
		j.mu.Lock()
		tail, tailSize = j.segs[len(j.segs)-1], 0
		j.mu.Unlock()
		err = j.write(payload, 0)
	}
	if err != nil {
		return err
	}
	j.mu.Lock()
	tail.offsets = append(tail.offsets, tailSize)
	tail.crcs = append(tail.crcs, crc32.Checksum(payload, castagnoli))
	tail.size = tailSize + size
	j.next++
	j.pending += size
	j.changed.Broadcast()
	j.mu.Unlock()
	return nil
}

// Trim gives back the disk the tail segment holds when every entry in it
// is stored: the tail is kept for appends, and stored data in it (up to
// SegmentBytes) would fill a small disk for good, where every append
// then fails for want of space. It starts a new tail and removes the old
// one, and says whether it did.
func (j *Journal) Trim() bool {
	j.wmu.Lock()
	defer j.wmu.Unlock()
	j.mu.Lock()
	closed := j.closed
	j.mu.Unlock()
	return !closed && j.trim()
}

// trim is Trim under wmu.
func (j *Journal) trim() bool {
	j.mu.Lock()
	tail := j.segs[len(j.segs)-1]
	stored := tail.size > 0 && tail.end() <= j.saved
	j.mu.Unlock()
	if !stored {
		return false
	}
	if _, err := j.rotate(); err != nil {
		return false
	}
	j.mu.Lock()
	j.dropStored()
	j.mu.Unlock()
	return true
}

// aheadBytes is how far past its entries the tail file is grown with
// zeros. An append within the file's size changes no metadata, so its
// fdatasync writes the entry's pages alone; an append that grows the
// file commits the filesystem's journal, which on ext4 takes every other
// file's pending metadata along (ClickHouse creating its parts' files):
// measured 1.8 times the time per sync on this project's machine.
var aheadBytes int64 = 4 << 20 // a variable for BenchmarkAppend

// write puts one entry at the tail's end (at), followed by zeros when
// it would grow the file (see aheadBytes); if those find no room, the
// entry goes alone. A failed write is cut off again, so the next entry
// starts where this one would have; if even that fails, the journal
// takes no more appends.
func (j *Journal) write(payload []byte, at int64) error {
	size := int64(headerSize + len(payload))
	var grow int64
	if at+size > j.tailAlloc && !j.opts.NoFSync { // without fdatasync they gain nothing
		grow = min(aheadBytes, j.opts.SegmentBytes)
	}
	buf := make([]byte, headerSize, size+grow)
	binary.LittleEndian.PutUint32(buf[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[4:8], crc32.Checksum(payload, castagnoli))
	buf = append(buf, payload...)
	err := j.writeSynced(buf[:size+grow], at) // the bytes ahead are make's zeros
	if grow > 0 && noRoom(err) {
		if broken := j.cutTail(at, err); broken != nil {
			return broken
		}
		grow = 0
		err = j.writeSynced(buf[:size], at)
	}
	if err == nil {
		j.tailAlloc = max(j.tailAlloc, at+size+grow)
		j.ahead.Store(j.tailAlloc - (at + size))
		return nil
	}
	err = fmt.Errorf("journal %s: append: %w", j.dir, err)
	if broken := j.cutTail(at, err); broken != nil {
		return broken
	}
	return err
}

// noRoom says whether err is a write's refusal for want of room: a full
// disk, a disk quota, or a file size limit (ulimit -f), any of which the
// zeros ahead may meet where the entry alone fits.
func noRoom(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EFBIG)
}

func (j *Journal) writeSynced(buf []byte, at int64) error {
	_, err := j.tail.WriteAt(buf, at)
	if err == nil && !j.opts.NoFSync {
		err = datasync(j.tail)
	}
	return err
}

// cutTail cuts the tail file at at, after a write that failed with
// cause. If even that fails, the journal is broken, and that is returned.
func (j *Journal) cutTail(at int64, cause error) error {
	j.tailAlloc = at
	j.ahead.Store(0)
	if terr := j.tail.Truncate(at); terr != nil {
		j.mu.Lock()
		j.broken = fmt.Errorf("%w; cutting it off failed too (%v): restart to recover", cause, terr)
		j.mu.Unlock()
		return j.broken
	}
	return nil
}

// Next returns the next group to store and its entries' payloads. The
// groups recorded and not done by an earlier run come first, as they were
// recorded; then the entries waiting after the last group recorded, at
// least one and as many as fit in maxBytes, recorded as a group before
// Next returns. Several groups may be out at once (one stored while the
// next is prepared); Done must take them in the order Next gave them. Next
// waits for an entry while none is waiting, until ctx ends or the journal
// closes.
func (j *Journal) Next(ctx context.Context, maxBytes int64) (Group, [][]byte, error) {
	stop := context.AfterFunc(ctx, func() {
		j.mu.Lock()
		j.changed.Broadcast()
		j.mu.Unlock()
	})
	defer stop()
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.handed == len(j.groups) && j.recordedEnd() == j.next {
		if j.closed {
			return Group{}, nil, ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return Group{}, nil, err
		}
		j.changed.Wait()
	}
	if j.closed {
		return Group{}, nil, ErrClosed
	}
	if j.handed == len(j.groups) {
		from := j.recordedEnd()
		g := Group{First: from, End: from + 1}
		for size := j.sizeOf(g.First); g.End < j.next; g.End++ {
			size += j.sizeOf(g.End)
			if size > maxBytes {
				break
			}
		}
		j.groups = append(j.groups, g)
		j.grouped += j.bytesOf(g)
		if err := j.save(); err != nil {
			j.groups = j.groups[:len(j.groups)-1]
			return Group{}, nil, err
		}
	}
	g := j.groups[j.handed]
	at, err := j.places(g)
	if err != nil {
		return g, nil, err
	}
	// Read without the lock: appends go on meanwhile, and only Done of
	// this group, which comes after, could drop these segments. Next has
	// one caller, so the group is still the one to hand out after.
	j.mu.Unlock()
	payloads, err := j.read(g, at)
	j.mu.Lock()
	if err != nil {
		return g, nil, err
	}
	j.handed++
	return g, payloads, nil
}

// recordedEnd is where the groups recorded end: the first entry no group
// holds (under mu).
func (j *Journal) recordedEnd() uint64 {
	if len(j.groups) == 0 {
		return j.done
	}
	return j.groups[len(j.groups)-1].End
}

// place is where an entry is: its segment's file and offset.
type place struct {
	f    *os.File
	path string
	off  int64
}

// places finds g's entries, opening segment files for reading as needed
// (under mu).
func (j *Journal) places(g Group) ([]place, error) {
	out := make([]place, 0, g.End-g.First)
	for seq := g.First; seq < g.End; seq++ {
		s, i := j.locate(seq)
		if i >= len(s.offsets) {
			out = append(out, place{path: s.damage, off: -1})
			continue
		}
		if s.r == nil {
			f, err := os.Open(s.path)
			if err != nil {
				return nil, fmt.Errorf("journal %s: %w", j.dir, err)
			}
			s.r = f
		}
		out = append(out, place{s.r, s.path, s.offsets[i]})
	}
	return out, nil
}

// sizeOf is entry seq's size, header included (under mu).
func (j *Journal) sizeOf(seq uint64) int64 {
	s, i := j.locate(seq)
	return s.entrySize(i)
}

// locate finds entry seq's segment and index in it (under mu).
func (j *Journal) locate(seq uint64) (*segment, int) {
	k := sort.Search(len(j.segs), func(k int) bool { return j.segs[k].end() > seq })
	s := j.segs[k]
	return s, int(seq - s.first)
}

// read returns the payloads of g's entries, found at at, each checked
// against its CRC. An entry lost or damaged is left out and told to
// Options.Damaged; a failing read is an error, for Next to be retried.
func (j *Journal) read(g Group, at []place) ([][]byte, error) {
	out := make([][]byte, 0, len(at))
	for k, p := range at {
		seq := g.First + uint64(k)
		payload, damage, err := p.read()
		if err != nil {
			return nil, fmt.Errorf("journal %s: entry %d: %w", j.dir, seq, err)
		}
		if damage != nil {
			if j.opts.Damaged != nil {
				j.opts.Damaged(seq, fmt.Errorf("journal %s: entry %d: %w", j.dir, seq, damage))
			}
			continue
		}
		out = append(out, payload)
	}
	return out, nil
}

// read reads the entry at p: its payload, or why it is damaged, or the
// error of a read that failed.
func (p place) read() (payload []byte, damage, err error) {
	if p.off < 0 {
		return nil, errors.New(p.path), nil
	}
	var hdr [headerSize]byte
	if _, err := p.f.ReadAt(hdr[:], p.off); err != nil {
		return nil, nil, err
	}
	payload = make([]byte, binary.LittleEndian.Uint32(hdr[0:4]))
	if _, err := p.f.ReadAt(payload, p.off+headerSize); errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: cut short", p.path), nil
	} else if err != nil {
		return nil, nil, err
	}
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(hdr[4:8]) {
		return nil, fmt.Errorf("%s at byte %d: checksum mismatch", p.path, p.off), nil
	}
	return payload, nil, nil
}

// Done records group g, the oldest group out, as stored: the stored mark
// moves to its end and segments wholly before the mark are removed. The
// mark moves in memory even when writing the state fails (the error is
// returned): after a restart the group is then stored again under its
// token, which ClickHouse skips, so its segments stay until a later
// state write records the mark.
func (j *Journal) Done(g Group) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return ErrClosed
	}
	if j.handed == 0 || j.groups[0] != g {
		return fmt.Errorf("journal %s: Done for entries %d to %d, which are not the oldest group out", j.dir, g.First, g.End)
	}
	n := j.bytesOf(g)
	j.pending -= n
	j.grouped -= n
	j.done = g.End
	j.groups = j.groups[1:]
	j.handed--
	err := j.save()
	j.dropStored()
	j.changed.Broadcast()
	return err
}

// dropStored removes the segments whose entries are all stored by the
// mark the state file holds, the tail excepted (under mu, or before the
// journal is shared). A mark moved only in memory (its write failed)
// drops nothing: after a crash the file's mark needs those entries.
func (j *Journal) dropStored() {
	for len(j.segs) > 1 && j.segs[0].end() <= j.saved {
		s := j.segs[0]
		if s.r != nil {
			_ = s.r.Close()
		}
		// A segment that cannot be removed now is removed at the next
		// Open, which finds it wholly stored too.
		if s.path != "" {
			_ = os.Remove(s.path)
		}
		j.segs = j.segs[1:]
	}
}

// Token is the insert_deduplication_token of group g: the journal's id,
// the group's range and a checksum of its entries' CRCs, the same on
// every attempt and after a restart. The checksum keeps a range numbered
// again over other entries (appends lost to a machine crash without
// fsync, or a tail segment lost, and the numbers reused) from repeating
// a token ClickHouse has seen, which would drop those entries as
// duplicates.
func (j *Journal) Token(g Group) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var b [4]byte
	h := crc32.New(castagnoli)
	for seq := g.First; seq < g.End; seq++ {
		s, i, ok := j.find(seq)
		if ok && i < len(s.crcs) {
			binary.LittleEndian.PutUint32(b[:], s.crcs[i])
			_, _ = h.Write(b[:]) // a hash never fails
		}
	}
	return fmt.Sprintf("%s-%d-%d-%08x", j.id, g.First, g.End, h.Sum32())
}

// find is locate for an entry that may not be in the journal (under mu).
func (j *Journal) find(seq uint64) (*segment, int, bool) {
	if len(j.segs) == 0 || seq < j.segs[0].first || seq >= j.next {
		return nil, 0, false
	}
	s, i := j.locate(seq)
	return s, i, true
}

// Groups is how many groups are recorded and not done.
func (j *Journal) Groups() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.groups)
}

// Pending is the bytes appended and not yet stored, headers included.
func (j *Journal) Pending() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.pending
}

// Waiting is the bytes of the entries no group holds yet.
func (j *Journal) Waiting() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.pending - j.grouped
}

// WaitBytes returns once at least n bytes wait that no group holds, wake
// is signalled, ctx ends or the journal closes: the consumer waits so
// for a group worth taking while an insert runs.
func (j *Journal) WaitBytes(ctx context.Context, n int64, wake <-chan struct{}) {
	woken := false
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		select {
		case <-wake:
			j.mu.Lock()
			woken = true
			j.changed.Broadcast()
			j.mu.Unlock()
		case <-ctx.Done():
			j.mu.Lock()
			j.changed.Broadcast()
			j.mu.Unlock()
		case <-quit:
		}
	}()
	j.mu.Lock()
	defer j.mu.Unlock()
	for !woken && ctx.Err() == nil && !j.closed && j.pending-j.grouped < n {
		j.changed.Wait()
	}
}

// bytesOf is the bytes of g's entries (under mu).
func (j *Journal) bytesOf(g Group) int64 {
	var n int64
	for seq := g.First; seq < g.End; seq++ {
		n += j.sizeOf(seq)
	}
	return n
}

// Close ends the journal: Next returns ErrClosed, and so do Append and
// Done. What was appended and not done is kept for the next Open.
func (j *Journal) Close() error {
	j.wmu.Lock()
	defer j.wmu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	j.changed.Broadcast()
	var errs []error
	for _, s := range j.segs {
		if s.r != nil {
			errs = append(errs, s.r.Close())
		}
	}
	j.mu.Unlock() // closeTail takes it
	errs = append(errs, j.closeTail())
	j.mu.Lock()
	errs = append(errs, j.st.close(), j.lock.Close()) // the lock goes with its file
	return errors.Join(errs...)
}
