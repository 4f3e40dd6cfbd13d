package openslo

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/flowslo/flowslo/slo"
)

// FuzzConvert feeds arbitrary input: Convert must not panic, and whatever
// it outputs must be a valid flowslo SLO file.
func FuzzConvert(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, _ := Convert("fuzz.yaml", data)
		if len(res.YAML) == 0 {
			return
		}
		if _, err := slo.Parse("fuzz.yaml", res.YAML); err != nil {
			t.Fatalf("output does not validate: %v\n%s", err, res.YAML)
		}
	})
}
