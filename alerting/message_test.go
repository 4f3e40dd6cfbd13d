package alerting

import "testing"

// TestSliceValueNotSet: the slice of events without the attribute reads
// "(not set)" in a message, not an empty "version=".
func TestSliceValueNotSet(t *testing.T) {
	if got := sliceValue(""); got != "(not set)" {
		t.Errorf("empty slice value reads %q, want (not set)", got)
	}
	if got := sliceValue("4.2.0"); got != "4.2.0" {
		t.Errorf("slice value 4.2.0 reads %q", got)
	}
}
