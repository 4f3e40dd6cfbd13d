package journal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func open(t *testing.T, dir string, o Options) *Journal {
	t.Helper()
	if o.MaxBytes == 0 {
		o.MaxBytes = 1 << 20
	}
	j, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	return j
}

func appendN(t *testing.T, j *Journal, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := j.Append([]byte(fmt.Sprintf("entry-%03d", i))); err != nil {
			t.Fatal(err)
		}
	}
}

func next(t *testing.T, j *Journal, maxBytes int64) (Group, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	g, payloads, err := j.Next(ctx, maxBytes)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range payloads {
		out = append(out, string(p))
	}
	return g, out
}

// TestGroupsTakeWhatWaits: a group holds every entry waiting, up to the
// byte bound, in order, and Done moves on to the next.
func TestGroupsTakeWhatWaits(t *testing.T) {
	j := open(t, t.TempDir(), Options{})
	appendN(t, j, 0, 5)
	entry := int64(headerSize + len("entry-000"))
	g, got := next(t, j, 3*entry)
	if g != (Group{0, 3}) || strings.Join(got, ",") != "entry-000,entry-001,entry-002" {
		t.Fatalf("first group %v %v, want entries 0 to 3", g, got)
	}
	if err := j.Done(g); err != nil {
		t.Fatal(err)
	}
	g, got = next(t, j, 1<<20)
	if g != (Group{3, 5}) || len(got) != 2 || got[1] != "entry-004" {
		t.Fatalf("second group %v %v, want entries 3 to 5", g, got)
	}
	// One entry larger than the bound still makes a group of one.
	if err := j.Done(g); err != nil {
		t.Fatal(err)
	}
	appendN(t, j, 5, 2)
	if g, _ = next(t, j, 1); g != (Group{5, 6}) {
		t.Fatalf("group under a bound smaller than one entry: %v, want {5 6}", g)
	}
}

// TestRestartRepeatsTheGroup: after a crash between recording a group and
// its Done, the next Open hands out the same entries under the same
// token, though more were appended meanwhile; a group done stays done.
func TestRestartRepeatsTheGroup(t *testing.T) {
	dir := t.TempDir()
	j := open(t, dir, Options{})
	appendN(t, j, 0, 4)
	g, _ := next(t, j, 1<<20)
	if err := j.Done(g); err != nil {
		t.Fatal(err)
	}
	appendN(t, j, 4, 3)
	g, want := next(t, j, 1<<20)
	token := j.Token(g)
	appendN(t, j, 7, 5) // arrive while the group's insert runs
	_ = j.Close()       // the crash: no Done

	j2 := open(t, dir, Options{})
	g2, got := next(t, j2, 1<<20)
	if g2 != g || j2.Token(g2) != token || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("after restart: group %v token %s %v, want %v %s %v", g2, j2.Token(g2), got, g, token, want)
	}
	if err := j2.Done(g2); err != nil {
		t.Fatal(err)
	}
	g3, got := next(t, j2, 1<<20)
	if g3 != (Group{7, 12}) || got[0] != "entry-007" {
		t.Fatalf("after the repeated group: %v %v, want entries 7 to 12", g3, got)
	}
	// A new directory's tokens never repeat an old one's.
	j3 := open(t, t.TempDir(), Options{})
	if j3.Token(Group{7, 12}) == j2.Token(Group{7, 12}) {
		t.Fatal("two journals give the same token for the same range")
	}
}

// TestTornAppendCut: an entry half written when the process died (its
// Append never returned) is cut off at Open; what was whole is kept and
// appends go on after it.
func TestTornAppendCut(t *testing.T) {
	dir := t.TempDir()
	j := open(t, dir, Options{})
	appendN(t, j, 0, 3)
	_ = j.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
	f, err := os.OpenFile(segs[len(segs)-1], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A header announcing 100 bytes, then 5 of them.
	if _, err := f.Write([]byte{100, 0, 0, 0, 1, 2, 3, 4, 'a', 'b', 'c', 'd', 'e'}); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()

	j2 := open(t, dir, Options{})
	appendN(t, j2, 3, 1)
	g, got := next(t, j2, 1<<20)
	if g != (Group{0, 4}) || strings.Join(got, ",") != "entry-000,entry-001,entry-002,entry-003" {
		t.Fatalf("after a torn append: %v %v", g, got)
	}
}

// TestDamageBeforeTheTailSkipped: damage in a segment that is not the
// last (cut short, a garbled header or payload, a segment file gone)
// loses only the entries it hit: Open takes the journal, Next hands out
// the rest in order, telling Damaged of each lost entry and where, and
// the next appends keep their numbers.
func TestDamageBeforeTheTailSkipped(t *testing.T) {
	entry := int64(headerSize + len("entry-000"))
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, segs []string)
		lost   []uint64
	}{
		{"cut in a payload", func(t *testing.T, segs []string) { truncate(t, segs[0], entry+headerSize+3) }, []uint64{1}},
		{"cut in a header", func(t *testing.T, segs []string) { truncate(t, segs[0], 3) }, []uint64{0, 1}},
		{"length garbled", func(t *testing.T, segs []string) { writeAt(t, segs[1], entry, []byte{0xff, 0xff, 0xff, 0x7f}) }, []uint64{3}},
		{"payload garbled", func(t *testing.T, segs []string) { writeAt(t, segs[1], headerSize+2, []byte("X")) }, []uint64{2}},
		{"segment gone", func(t *testing.T, segs []string) { remove(t, segs[1]) }, []uint64{2, 3}},
		{"first segment gone", func(t *testing.T, segs []string) { remove(t, segs[0]) }, []uint64{0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			j := open(t, dir, Options{SegmentBytes: 20})
			appendN(t, j, 0, 6)
			_ = j.Close()
			segs, _ := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
			if len(segs) != 3 {
				t.Fatalf("%d segments, want 3 of 2 entries", len(segs))
			}
			tc.damage(t, segs)

			var lost []uint64
			var why []string
			j2 := open(t, dir, Options{SegmentBytes: 20, Damaged: func(seq uint64, err error) {
				lost, why = append(lost, seq), append(why, err.Error())
			}})
			appendN(t, j2, 6, 1)
			g, got := next(t, j2, 1<<20)
			var want []string
			for i := 0; i <= 6; i++ {
				if !slices.Contains(tc.lost, uint64(i)) {
					want = append(want, fmt.Sprintf("entry-%03d", i))
				}
			}
			if g != (Group{0, 7}) || strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("after damage: %v %v, want {0 7} %v", g, got, want)
			}
			if fmt.Sprint(lost) != fmt.Sprint(tc.lost) || !strings.Contains(why[0], segmentExt) {
				t.Fatalf("told of %v (%q), want %v, naming the segment", lost, why, tc.lost)
			}
		})
	}
}

func truncate(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

func writeAt(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
}

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

// TestStateDamaged: a state file that does not parse is refused with its
// name and both ways on; removed, every entry the segments hold is
// handed out again, under tokens of a new id.
func TestStateDamaged(t *testing.T) {
	dir := t.TempDir()
	j := open(t, dir, Options{SegmentBytes: 20})
	appendN(t, j, 0, 6)
	g, _ := next(t, j, 2*int64(headerSize+len("entry-000")))
	if err := j.Done(g); err != nil {
		t.Fatal(err)
	}
	old := j.Token(Group{2, 6})
	_ = j.Close()
	if err := os.WriteFile(filepath.Join(dir, stateFile), []byte(`{"id": "x", "do`), 0o640); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir, Options{MaxBytes: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), stateFile) || !strings.Contains(err.Error(), "remove it") {
		t.Fatalf("Open over a garbled state file: %v, want an error naming it and what to do", err)
	}
	remove(t, filepath.Join(dir, stateFile))
	j2 := open(t, dir, Options{SegmentBytes: 20})
	g2, got := next(t, j2, 1<<20)
	if g2 != (Group{2, 6}) || got[0] != "entry-002" || j2.Token(g2) == old {
		t.Fatalf("without a state file: %v %v token %s, want entries 2 to 6 (segment 0 was removed) under a new id", g2, got, j2.Token(g2))
	}
}

// TestFullThenRoom: appends beyond MaxBytes are refused with ErrFull
// until a Done makes room.
func TestFullThenRoom(t *testing.T) {
	entry := int64(headerSize + len("entry-000"))
	j := open(t, t.TempDir(), Options{MaxBytes: 3 * entry})
	appendN(t, j, 0, 3)
	var full *ErrFull
	if err := j.Append([]byte("entry-003")); !errors.As(err, &full) || full.Pending != 3*entry {
		t.Fatalf("append over the bound: %v, want ErrFull at %d bytes", err, 3*entry)
	}
	g, _ := next(t, j, entry)
	if err := j.Done(g); err != nil {
		t.Fatal(err)
	}
	if err := j.Append([]byte("entry-003")); err != nil {
		t.Fatalf("append after a Done made room: %v", err)
	}
	if p := j.Pending(); p != 3*entry {
		t.Fatalf("Pending %d, want %d", p, 3*entry)
	}
}

// TestStoredSegmentsRemoved: segments wholly stored are deleted, and a
// journal reopened after that continues its numbering.
func TestStoredSegmentsRemoved(t *testing.T) {
	dir := t.TempDir()
	j := open(t, dir, Options{SegmentBytes: 40})
	appendN(t, j, 0, 10)
	count := func() int { s, _ := filepath.Glob(filepath.Join(dir, "*"+segmentExt)); return len(s) }
	before := count()
	g, _ := next(t, j, 1<<20)
	if err := j.Done(g); err != nil {
		t.Fatal(err)
	}
	if after := count(); after != 1 || before < 3 {
		t.Fatalf("segments %d before, %d after all were stored; want several, then only the tail", before, after)
	}
	_ = j.Close()
	j2 := open(t, dir, Options{SegmentBytes: 40})
	appendN(t, j2, 10, 1)
	if g, got := next(t, j2, 1<<20); g != (Group{10, 11}) || got[0] != "entry-010" {
		t.Fatalf("after reopen: %v %v, want entry 10", g, got)
	}
}

// TestNextWaits: Next waits for an append, and returns when its context
// ends or the journal closes.
func TestNextWaits(t *testing.T) {
	j := open(t, t.TempDir(), Options{})
	got := make(chan Group, 1)
	go func() {
		g, _, err := j.Next(context.Background(), 1<<20)
		if err == nil {
			got <- g
		}
	}()
	time.Sleep(20 * time.Millisecond)
	appendN(t, j, 0, 1)
	select {
	case g := <-got:
		if g != (Group{0, 1}) {
			t.Fatalf("woken with %v", g)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next did not wake on an append")
	}
	if err := j.Done(Group{0, 1}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := j.Next(ctx, 1<<20); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next with nothing waiting: %v, want the deadline", err)
	}
	go func() { time.Sleep(20 * time.Millisecond); _ = j.Close() }()
	if _, _, err := j.Next(context.Background(), 1<<20); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next on a closing journal: %v, want ErrClosed", err)
	}
}

// TestTwoGroupsOut: a second group can be taken while the first is
// stored; after a crash both come back in order, each with its entries
// and token, and Done takes them oldest first.
func TestTwoGroupsOut(t *testing.T) {
	dir := t.TempDir()
	j := open(t, dir, Options{})
	appendN(t, j, 0, 2)
	g1, _ := next(t, j, 1<<20)
	appendN(t, j, 2, 3)
	g2, _ := next(t, j, 1<<20)
	if g1 != (Group{0, 2}) || g2 != (Group{2, 5}) {
		t.Fatalf("groups %v %v, want {0 2} {2 5}", g1, g2)
	}
	if err := j.Done(g2); err == nil {
		t.Fatal("Done of the newer group first was taken")
	}
	_ = j.Close()

	j2 := open(t, dir, Options{})
	appendN(t, j2, 5, 1)
	r1, e1 := next(t, j2, 1<<20)
	r2, e2 := next(t, j2, 1<<20)
	if r1 != g1 || r2 != g2 || e1[1] != "entry-001" || len(e2) != 3 || e2[0] != "entry-002" {
		t.Fatalf("after restart: %v %v, %v %v; want the two recorded groups", r1, e1, r2, e2)
	}
	for _, g := range []Group{r1, r2} {
		if err := j2.Done(g); err != nil {
			t.Fatal(err)
		}
	}
	if g, got := next(t, j2, 1<<20); g != (Group{5, 6}) || got[0] != "entry-005" {
		t.Fatalf("then %v %v, want entry 5", g, got)
	}
}

// blockState makes the next state file writes fail, as a failing disk
// would; the returned func lets them succeed again.
func blockState(t *testing.T, dir string) func() {
	t.Helper()
	orig := stateWriteAt
	stateWriteAt = func(*os.File, []byte, int64) (int, error) {
		return 0, &os.PathError{Op: "write", Path: filepath.Join(dir, stateFile), Err: syscall.EIO}
	}
	return func() { stateWriteAt = orig }
}

// rewriteState changes the state file as edit says, as a crash that
// rolled it back would leave it.
func rewriteState(t *testing.T, dir string, edit func(*state)) {
	t.Helper()
	s, st, _, err := openState(dir, state{}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	edit(&st)
	if err := s.write(st); err != nil {
		t.Fatal(err)
	}
}

// TestDoneUnrecordedKeepsSegments: a Done whose state write fails (a full
// disk) keeps the segments the state on disk still needs: after a crash
// then, Open takes the group up again (stored again under its token)
// instead of refusing a journal whose entries are gone.
func TestDoneUnrecordedKeepsSegments(t *testing.T) {
	dir := t.TempDir()
	j := open(t, dir, Options{SegmentBytes: 20})
	appendN(t, j, 0, 6)
	g, want := next(t, j, 1<<20)
	unblock := blockState(t, dir)
	if err := j.Done(g); err == nil {
		t.Fatal("Done with the state file unwritable reported no error")
	}
	_ = j.Close() // the crash, before any later state write
	unblock()

	j2, err := Open(dir, Options{MaxBytes: 1 << 20, SegmentBytes: 20})
	if err != nil {
		t.Fatalf("Open after a Done that could not be recorded: %v", err)
	}
	defer j2.Close()
	g2, got := next(t, j2, 1<<20)
	if g2 != g || j2.Token(g2) != j.Token(g) || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("after restart: %v %v, want the unrecorded group %v again", g2, got, g)
	}
}

// TestStateWritesNeedNoSpace: the state file's blocks are allocated when
// it is made (zeros written, not a hole), so on a disk the queue filled a
// state write needs no free space: groups are still recorded and done,
// the queue drains and frees its disk.
func TestStateWritesNeedNoSpace(t *testing.T) {
	dir := t.TempDir()
	_ = open(t, dir, Options{})
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(dir, stateFile), &st); err != nil {
		t.Fatal(err)
	}
	if st.Blocks*512 < 2*stateSlot {
		t.Fatalf("state file holds %d bytes of disk, want both slots' %d allocated", st.Blocks*512, 2*stateSlot)
	}
}

// TestTrimStoredTail: once every entry is stored, Trim gives back the
// disk the tail held (a new, empty tail replaces it), so a small disk the
// queue filled takes appends again; the numbering goes on. A tail holding
// entries not stored is kept.
func TestTrimStoredTail(t *testing.T) {
	dir := t.TempDir()
	j := open(t, dir, Options{})
	appendN(t, j, 0, 3)
	if j.Trim() {
		t.Fatal("Trim took a tail whose entries are not stored")
	}
	g, _ := next(t, j, 1<<20)
	if err := j.Done(g); err != nil {
		t.Fatal(err)
	}
	if !j.Trim() {
		t.Fatal("Trim kept a tail wholly stored")
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
	if info, err := os.Stat(segs[0]); len(segs) != 1 || err != nil || info.Size() != 0 {
		t.Fatalf("segments after Trim: %v, want one empty", segs)
	}
	appendN(t, j, 3, 1)
	_ = j.Close()
	j2 := open(t, dir, Options{})
	if g, got := next(t, j2, 1<<20); g != (Group{3, 4}) || got[0] != "entry-003" {
		t.Fatalf("after Trim and reopen: %v %v, want entry 3", g, got)
	}
}

// TestRenumberedRangeNewToken: when appends are lost and their numbers
// used again (a machine crash with NoFSync rolled back the segment and
// the state file, after a group's insert had landed), the same range of
// other entries gets another token: ClickHouse would otherwise drop them
// as the insert it stored.
func TestRenumberedRangeNewToken(t *testing.T) {
	dir := t.TempDir()
	j := open(t, dir, Options{})
	appendN(t, j, 0, 3)
	g, _ := next(t, j, 1<<20)
	token := j.Token(g)
	_ = j.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
	remove(t, segs[0])
	rewriteState(t, dir, func(st *state) { st.Groups = nil }) // as before the group was recorded

	j2 := open(t, dir, Options{})
	appendN(t, j2, 10, 3)
	g2, got := next(t, j2, 1<<20)
	if g2 != g || got[0] != "entry-010" {
		t.Fatalf("after the rollback: %v %v, want entries 10.. numbered %v", g2, got, g)
	}
	if j2.Token(g2) == token {
		t.Fatalf("range %v of other entries has the token %s of the insert that landed", g2, token)
	}
}

// TestOneProcessPerDir: a journal open in a directory keeps a second
// Open out (another flowslo on the same queue dir would interleave its
// appends with this one's), and lets it in once closed.
func TestOneProcessPerDir(t *testing.T) {
	dir := t.TempDir()
	j := open(t, dir, Options{})
	if _, err := Open(dir, Options{MaxBytes: 1 << 20}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Open of a journal in use: %v, want refused", err)
	}
	_ = j.Close()
	j2 := open(t, dir, Options{})
	appendN(t, j2, 0, 1)
}

// TestTornStateSlot: a state write torn by a crash (its slot fails the
// CRC) falls back to the state before it; with both slots damaged Open
// refuses, naming the file.
func TestTornStateSlot(t *testing.T) {
	dir := t.TempDir()
	j := open(t, dir, Options{})
	appendN(t, j, 0, 2)
	if g, _ := next(t, j, 1<<20); g != (Group{0, 2}) {
		t.Fatalf("group %v", g)
	}
	appendN(t, j, 2, 3)
	seq := j.st.seq
	_ = j.Close()
	path := filepath.Join(dir, stateFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[int(seq%2)*stateSlot+slotHeader+3] ^= 0xff // the record of group {0 2}, torn
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
	j2 := open(t, dir, Options{})
	if g, _ := next(t, j2, 1<<20); g != (Group{0, 5}) {
		t.Fatalf("after a torn state write: group %v, want {0 5} (the record of {0 2} lost, nothing inserted under it)", g)
	}
	_ = j2.Close()
	if err := os.WriteFile(path, make([]byte, 2*stateSlot), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{MaxBytes: 1 << 20}); err == nil || !strings.Contains(err.Error(), stateFile) {
		t.Fatalf("Open with both state slots damaged: %v, want an error naming %s", err, stateFile)
	}
}

// TestWaiting: Waiting counts the bytes no group holds, across Next, Done
// and a reopen with a group recorded; WaitBytes returns once that many
// wait, or when woken.
func TestWaiting(t *testing.T) {
	entry := int64(headerSize + len("entry-000"))
	dir := t.TempDir()
	j := open(t, dir, Options{})
	appendN(t, j, 0, 4)
	if w := j.Waiting(); w != 4*entry {
		t.Fatalf("Waiting %d, want %d", w, 4*entry)
	}
	g, _ := next(t, j, 2*entry)
	if w := j.Waiting(); w != 2*entry {
		t.Fatalf("Waiting %d after a group of 2, want %d", w, 2*entry)
	}
	_ = j.Close()
	j2 := open(t, dir, Options{})
	if w := j2.Waiting(); w != 2*entry {
		t.Fatalf("Waiting %d after reopen with the group recorded, want %d", w, 2*entry)
	}
	if g2, _ := next(t, j2, 1<<20); g2 != g {
		t.Fatalf("group %v after reopen, want %v", g2, g)
	}
	if err := j2.Done(g); err != nil {
		t.Fatal(err)
	}
	if w, p := j2.Waiting(), j2.Pending(); w != 2*entry || p != 2*entry {
		t.Fatalf("after Done: Waiting %d Pending %d, want %d each", w, p, 2*entry)
	}
	done := make(chan struct{})
	go func() { j2.WaitBytes(context.Background(), 3*entry, nil); close(done) }()
	appendN(t, j2, 4, 1)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("WaitBytes did not return once enough bytes waited")
	}
	wake := make(chan struct{}, 1)
	wake <- struct{}{}
	j2.WaitBytes(context.Background(), 1<<30, wake) // returns: woken
}

// TestZerosAhead: the tail file is grown by aheadBytes of zeros at a
// time, so most appends stay within its size (their fdatasync changes no
// metadata). A closed tail is cut after its last entry; zeros a crash
// left after the entries, in the tail or in an older segment, end the
// entries there without being taken for damage, and appends go on after
// the last entry.
func TestZerosAhead(t *testing.T) {
	dir := t.TempDir()
	const seg = 1 << 30
	j := open(t, dir, Options{SegmentBytes: seg})
	entry := int64(headerSize + len("entry-000"))
	appendN(t, j, 0, 1)
	segs, _ := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
	size := func() int64 {
		t.Helper()
		info, err := os.Stat(segs[0])
		if err != nil {
			t.Fatal(err)
		}
		return info.Size()
	}
	if got := size(); got != entry+aheadBytes {
		t.Fatalf("tail after one append: %d bytes, want the entry and %d of zeros ahead", got, aheadBytes)
	}
	appendN(t, j, 1, 2)
	if got := size(); got != entry+aheadBytes {
		t.Fatalf("tail after three appends: %d bytes, want the size the first left (no growth)", got)
	}
	_ = j.Close()
	if got := size(); got != 3*entry {
		t.Fatalf("tail after Close: %d bytes, want its 3 entries' %d", got, 3*entry)
	}

	// A crash before the cut: zeros after the entries.
	truncate(t, segs[0], 3*entry+1000)
	var damaged []uint64
	j2 := open(t, dir, Options{SegmentBytes: seg, Damaged: func(seq uint64, _ error) { damaged = append(damaged, seq) }})
	appendN(t, j2, 3, 1)
	if g, got := next(t, j2, 1<<20); g != (Group{0, 4}) || strings.Join(got, ",") != "entry-000,entry-001,entry-002,entry-003" || damaged != nil {
		t.Fatalf("after zeros left in the tail: %v %v (damaged %v), want entries 0 to 3", g, got, damaged)
	}
	_ = j2.Close()

	// Zeros left at the end of a segment that is no longer the tail.
	j3 := open(t, dir, Options{SegmentBytes: 4 * entry})
	appendN(t, j3, 4, 1) // the first segment is full: a new one starts
	_ = j3.Close()
	truncate(t, segs[0], 4*entry+500)
	j4 := open(t, dir, Options{SegmentBytes: 4 * entry, Damaged: func(seq uint64, _ error) { damaged = append(damaged, seq) }})
	// The group recorded before is handed out first, as it was.
	g1, got1 := next(t, j4, 1<<20)
	g2, got2 := next(t, j4, 1<<20)
	if g1 != (Group{0, 4}) || len(got1) != 4 || g2 != (Group{4, 5}) || len(got2) != 1 || got2[0] != "entry-004" || damaged != nil {
		t.Fatalf("after zeros left in an older segment: %v %v, %v %v (damaged %v), want entries 0 to 3, then 4", g1, got1, g2, got2, damaged)
	}
}

// TestEmptyEntryRefused: an empty payload would be a header of zeros,
// which marks where the entries end.
func TestEmptyEntryRefused(t *testing.T) {
	j := open(t, t.TempDir(), Options{})
	if err := j.Append(nil); err == nil {
		t.Fatal("an empty entry was appended")
	}
}

// TestZerosAheadWithoutRoom: on a disk without room for the zeros ahead
// (a 1 MiB tmpfs, where they would take 4), the entry is written alone
// and kept: the zeros are an optimisation, never a reason to refuse.
func TestZerosAheadWithoutRoom(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	j := open(t, dir, Options{})
	appendN(t, j, 0, 2)
	if g, got := next(t, j, 1<<20); g != (Group{0, 2}) || strings.Join(got, ",") != "entry-000,entry-001" {
		t.Fatalf("on a small disk: %v %v, want both entries", g, got)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
	if info, err := os.Stat(segs[0]); err != nil || info.Size() != 2*int64(headerSize+len("entry-000")) {
		t.Fatalf("segment on a small disk: %v %v, want just its two entries", info.Size(), err)
	}
}

// TestNewestSegmentGone: the state records where the newest segment
// starts, so losing that file (which no other file tells of) is said at
// Open, naming it; entries in older segments are kept, and appends go on
// after them. With the segment before it gone too, those entries are
// lost entries, each told as it is reached. A tail that Trim replaced is
// no loss and is not told.
func TestNewestSegmentGone(t *testing.T) {
	for _, tc := range []struct {
		name    string
		remove  []int // segments (of 3, 2 entries each) removed
		want    string
		damaged []uint64
	}{
		{"newest", []int{2}, "entry-000,entry-001,entry-002,entry-003,entry-006", []uint64{4}},
		{"newest two", []int{1, 2}, "entry-000,entry-001,entry-006", []uint64{4, 2, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			j := open(t, dir, Options{SegmentBytes: 20})
			appendN(t, j, 0, 6)
			_ = j.Close()
			segs, _ := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
			if len(segs) != 3 {
				t.Fatalf("%d segments, want 3", len(segs))
			}
			for _, i := range tc.remove {
				remove(t, segs[i])
			}
			var damaged []uint64
			var why []string
			j2 := open(t, dir, Options{SegmentBytes: 20, Damaged: func(seq uint64, err error) {
				damaged, why = append(damaged, seq), append(why, err.Error())
			}})
			if len(why) == 0 || !strings.Contains(why[0], filepath.Base(segs[2])) || !strings.Contains(why[0], "gone") {
				t.Fatalf("told at Open: %q, want the newest segment's name and that it is gone", why)
			}
			appendN(t, j2, 6, 1)
			g, got := next(t, j2, 1<<20)
			if strings.Join(got, ",") != tc.want || g.End != 5 || fmt.Sprint(damaged) != fmt.Sprint(tc.damaged) {
				t.Fatalf("after the loss: %v %v, told of %v; want %s up to entry 4, told of %v", g, got, damaged, tc.want, tc.damaged)
			}
		})
	}
	t.Run("trimmed tail", func(t *testing.T) {
		dir := t.TempDir()
		j := open(t, dir, Options{})
		appendN(t, j, 0, 2)
		g, _ := next(t, j, 1<<20)
		if err := j.Done(g); err != nil || !j.Trim() {
			t.Fatalf("Done %v, or Trim kept a stored tail", err)
		}
		_ = j.Close()
		var damaged []uint64
		j2 := open(t, dir, Options{Damaged: func(seq uint64, _ error) { damaged = append(damaged, seq) }})
		appendN(t, j2, 2, 1)
		if g, got := next(t, j2, 1<<20); g != (Group{2, 3}) || got[0] != "entry-002" || damaged != nil {
			t.Fatalf("after Trim: %v %v, told of %v; want entry 2 and nothing told", g, got, damaged)
		}
	})
}

// TestZerosAheadUnderFileSizeLimit: under a file size limit (ulimit -f,
// systemd's LimitFSIZE) the zeros ahead fail with EFBIG rather than
// ENOSPC, and a disk quota gives EDQUOT: either way the entry alone fits
// and is written (found by a review: every append was refused).
func TestZerosAheadUnderFileSizeLimit(t *testing.T) {
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Skip(err)
	}
	j := open(t, t.TempDir(), Options{})
	lim := old
	lim.Cur = 1 << 20 // the entries fit, their 4 MiB of zeros do not
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Skip(err)
	}
	var errs []error
	for i := range 3 {
		errs = append(errs, j.Append([]byte(fmt.Sprintf("entry-%03d", i))))
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("append %d under a 1 MiB file size limit: %v", i, err)
		}
	}
	if g, got := next(t, j, 1<<20); g != (Group{0, 3}) || len(got) != 3 {
		t.Fatalf("after appends under the limit: %v %v, want entries 0 to 2", g, got)
	}
}

// TestNoZerosWithoutFSync: without fdatasync the zeros ahead gain
// nothing, so none are written.
func TestNoZerosWithoutFSync(t *testing.T) {
	dir := t.TempDir()
	j := open(t, dir, Options{NoFSync: true})
	appendN(t, j, 0, 2)
	segs, _ := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
	if info, err := os.Stat(segs[0]); err != nil || info.Size() != 2*int64(headerSize+len("entry-000")) || j.Ahead() != 0 {
		t.Fatalf("tail without fsync: %v bytes (%v), %d ahead; want just its entries", info.Size(), err, j.Ahead())
	}
}
