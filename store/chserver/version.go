package chserver

import (
	"fmt"
	"strconv"
	"strings"
)

// MinVersion is the oldest ClickHouse server flowslo runs on: the schema
// uses Map columns, query parameters in DDL-free SQL and settings that 23.8
// (an LTS release) has.
var MinVersion = Version{23, 8}

// Version is a ClickHouse release, major.minor.
type Version struct{ Major, Minor int }

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Less reports whether v is an older release than w.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	return v.Minor < w.Minor
}

// ParseVersion reads the leading major.minor of a version() string such as
// "24.3.5.47" or "18.16.1".
func ParseVersion(s string) (Version, error) {
	parts := strings.SplitN(strings.TrimSpace(s), ".", 3)
	if len(parts) < 2 {
		return Version{}, fmt.Errorf("parse version %q", s)
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return Version{}, fmt.Errorf("parse version %q", s)
	}
	return Version{major, minor}, nil
}

// checkVersion refuses servers older than MinVersion with a message that
// says what was found where and what is needed.
func checkVersion(version, addr string) error {
	v, err := ParseVersion(version)
	if err != nil {
		return err
	}
	if v.Less(MinVersion) {
		return fmt.Errorf("ClickHouse server %s at %s is too old: flowslo needs %s or newer", v, addr, MinVersion)
	}
	return nil
}
