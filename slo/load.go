package slo

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads the SLO files at path, a file or a folder searched for *.yaml
// and *.yml, and returns every SLO if all are valid. Otherwise it returns
// no SLOs and an error joining every problem (an *Error each, one per
// line), so a server can keep its last good set.
func Load(path string) ([]*SLO, error) {
	files, err := sloFiles(path)
	if err != nil {
		return nil, err
	}
	var p problems
	var all []*SLO
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			p.add(f, 0, "%v", err)
			continue
		}
		all = append(all, parse(f, data, &p)...)
	}
	checkUnique(all, &p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return all, nil
}

// Validate checks the SLO files at path: what `flowslo validate` runs.
// Print the error as is: it holds one problem per line.
func Validate(path string) error {
	_, err := Load(path)
	return err
}

// Parse reads one file's content; name is used in messages.
func Parse(name string, data []byte) ([]*SLO, error) {
	var p problems
	slos := parse(name, data, &p)
	checkUnique(slos, &p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return slos, nil
}

func sloFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read slo files: %w", err)
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && p != path && strings.HasPrefix(e.Name(), ".") {
			return filepath.SkipDir
		}
		if ext := filepath.Ext(p); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read slo folder: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no *.yaml or *.yml files: add SLO files, each starting with a slos: list", path)
	}
	return files, nil
}

// parse decodes one file and runs every rule on each of its SLOs.
func parse(file string, data []byte, p *problems) []*SLO {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := YAMLError(err)
		p.add(file, line, "%s: fix the YAML syntax", msg)
		return nil
	}
	if len(doc.Content) == 0 {
		p.add(file, 0, "the file is empty: write slos: followed by a list of SLOs")
		return nil
	}
	w := walker{file: file, nodes: map[string]*yaml.Node{}, p: p}
	w.walk(doc.Content[0], fileShape, "")
	list := w.nodes["slos"]
	if list == nil {
		if root := w.nodes[""]; root != nil && !hasKey(root, "slos") {
			p.add(file, root.Line, "slos is missing: write slos: followed by a list of SLOs")
		}
		return nil
	}
	var out []*SLO
	for i, n := range list.Content {
		path := fmt.Sprintf("slos[%d]", i)
		if w.nodes[path] == nil {
			continue // not a mapping; the walker reported it
		}
		out = append(out, build(&draft{file: file, path: path, line: n.Line, nodes: w.nodes, p: p}))
	}
	return out
}

func hasKey(m *yaml.Node, key string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return true
		}
	}
	return false
}

// build runs the rules on one SLO. An invalid SLO is still returned, with
// no hash, so that its name takes part in the uniqueness check.
func build(d *draft) *SLO {
	d.slo = &SLO{File: d.file, Line: d.line}
	before := len(d.p.errs)
	for _, rule := range rules {
		rule(d)
	}
	if len(d.p.errs) == before {
		d.slo.Hash = hash(d.slo)
	}
	return d.slo
}

// checkUnique refuses a name used twice: rollups, alerts and URLs key on it.
func checkUnique(slos []*SLO, p *problems) {
	seen := map[string]*SLO{}
	for _, s := range slos {
		if s.Name == "" {
			continue
		}
		if first, dup := seen[s.Name]; dup {
			p.add(s.File, s.Line, "name %q is already used at %s:%d: give each SLO its own name", s.Name, first.File, first.Line)
			continue
		}
		seen[s.Name] = s
	}
}

var yamlLine = regexp.MustCompile(`^yaml: line ([0-9]+): `)

// YAMLError splits yaml.v3's "yaml: line 7: msg" into the line and the
// message, so YAML syntax errors read like flowslo's own (file:line: msg).
func YAMLError(err error) (int, string) {
	msg := err.Error()
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return 0, strings.TrimPrefix(msg, "yaml: ")
	}
	line, _ := strconv.Atoi(m[1])
	return line, msg[len(m[0]):]
}
