package store

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// ErrorKind says what a failed insert means for its caller.
type ErrorKind int

const (
	// Transient failures (busy, timeouts, network, the store restarting)
	// may pass: retry the same rows later.
	Transient ErrorKind = iota
	// BadData failures are caused by the rows themselves: the same rows
	// fail again, so retrying them only delays everything queued behind.
	BadData
	// StorageFull failures come from the disk (full, unwritable): retry,
	// and report the store as not ready until an insert succeeds.
	StorageFull
)

func (k ErrorKind) String() string {
	switch k {
	case BadData:
		return "bad data"
	case StorageFull:
		return "storage full"
	default:
		return "transient"
	}
}

// InsertError is a refused insert with its kind. Drivers return it from
// InsertSpans and InsertLogs so that ingest can tell bad rows (refuse only
// the requests that hold them) from a store in trouble (retry, not ready).
type InsertError struct {
	Kind ErrorKind
	Err  error
}

func (e *InsertError) Error() string { return e.Err.Error() }
func (e *InsertError) Unwrap() error { return e.Err }

// KindOf is the kind of err: Transient unless an InsertError says otherwise.
func KindOf(err error) ErrorKind {
	var ie *InsertError
	if errors.As(err, &ie) {
		return ie.Kind
	}
	return Transient
}

// badDataCodes are ClickHouse error codes caused by the values inserted,
// never by the server's state.
var badDataCodes = map[int]bool{
	6:   true, // CANNOT_PARSE_TEXT
	27:  true, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
	32:  true, // ATTEMPT_TO_READ_AFTER_EOF
	33:  true, // CANNOT_READ_ALL_DATA
	38:  true, // CANNOT_PARSE_DATE
	41:  true, // CANNOT_PARSE_DATETIME
	53:  true, // TYPE_MISMATCH
	69:  true, // ARGUMENT_OUT_OF_BOUND
	70:  true, // CANNOT_CONVERT_TYPE
	72:  true, // CANNOT_PARSE_NUMBER
	117: true, // INCORRECT_DATA
	131: true, // TOO_LARGE_STRING_SIZE
	321: true, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
	349: true, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
	395: true, // FUNCTION_THROW_IF_VALUE_IS_NON_ZERO
	469: true, // VIOLATED_CONSTRAINT
}

const (
	codeTooManyParts   = 252 // also raised for too many partitions in one block
	codeNotEnoughSpace = 243
)

// ClassifyClickHouse maps a ClickHouse exception (code and message) to an
// ErrorKind. Unknown codes are Transient: retrying a bad batch costs delay,
// refusing a good one loses data the client may not resend.
func ClassifyClickHouse(code int, msg string) ErrorKind {
	lower := strings.ToLower(msg)
	switch {
	case code == codeTooManyParts && strings.Contains(lower, "too many partitions for single insert block"):
		// The same value as "too many parts" (merges behind, transient),
		// told apart by the message.
		return BadData
	case badDataCodes[code]:
		return BadData
	case code == codeNotEnoughSpace, strings.Contains(lower, "no space left on device"),
		strings.Contains(lower, "not enough space"), strings.Contains(lower, "errno: 28"):
		return StorageFull
	}
	return Transient
}

var exceptionCode = regexp.MustCompile(`Code: (\d+)\.`)

// ClassifyMessage classifies a ClickHouse error known only by its text
// ("Code: 252. DB::Exception: …"), as chDB reports them.
func ClassifyMessage(msg string) ErrorKind {
	code := 0
	if m := exceptionCode.FindStringSubmatch(msg); m != nil {
		code, _ = strconv.Atoi(m[1])
	}
	return ClassifyClickHouse(code, msg)
}

// MaxInsertPartitions is the max_partitions_per_insert_block drivers set for
// a retention of ttlDays (0: DefaultTTLDays): every day partition within
// retention plus today and tomorrow, and never below ClickHouse's default.
func MaxInsertPartitions(ttlDays int) int {
	if ttlDays <= 0 {
		ttlDays = DefaultTTLDays
	}
	return max(100, ttlDays+2)
}
