package openslo

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/flowslo/flowslo/slo"
	"gopkg.in/yaml.v3"
)

// MaxInput is the largest file imported: SLO definitions are small, so a
// bigger file is a mistake (a log, a dump), not a set of SLOs.
const MaxInput = 4 << 20

// APIVersion is the OpenSLO version read.
const APIVersion = "openslo/v1"

// Problem is one thing in the input that could not be imported, or, as a
// warning, was imported with a change. Doc is the document it is about
// (nil for the file as a whole) and Path the field inside it.
type Problem struct {
	File string
	Line int
	Doc  *Document
	Path string // e.g. spec.objectives[0].target
	Msg  string
}

func (p *Problem) Error() string {
	s := p.File
	if p.Line > 0 {
		s += fmt.Sprintf(":%d", p.Line)
	}
	if p.Doc != nil {
		s += ": " + p.Doc.String()
	}
	if p.Path != "" {
		s += ": " + p.Path
	}
	return s + ": " + p.Msg
}

// Document names one document of the input: SLO "checkout" (document 3).
type Document struct {
	Num  int // 1-based position in the file
	Kind string
	Name string // metadata.name as written
}

func (d *Document) String() string {
	switch {
	case d.Kind == "":
		return fmt.Sprintf("document %d", d.Num)
	case d.Name == "":
		return fmt.Sprintf("%s (document %d)", d.Kind, d.Num)
	}
	return fmt.Sprintf("%s %q (document %d)", d.Kind, d.Name, d.Num)
}

// Result is what converted.
type Result struct {
	// YAML is the flowslo SLO file, valid for slo.Parse; empty when no SLO
	// converted.
	YAML []byte
	// Imported are the flowslo names of the SLOs in YAML; Skipped the
	// metadata.name of the SLOs left out because of errors.
	Imported, Skipped []string
	// Warnings are changes made on the way, also written as comments in YAML.
	Warnings []*Problem
}

// ReadFile reads an input file of at most MaxInput bytes.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxInput+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxInput {
		return nil, tooLarge(path)
	}
	return data, nil
}

func tooLarge(file string) error {
	return fmt.Errorf("%s is larger than %d MiB, too big for SLO definitions: split it into smaller files", file, MaxInput>>20)
}

// Convert turns the OpenSLO documents in data into one flowslo SLO file;
// file names the input in messages. The error joins every problem (a
// *Problem each, in line order); the SLOs without problems are in the
// result all the same.
func Convert(file string, data []byte) (*Result, error) {
	if len(data) > MaxInput {
		return &Result{}, tooLarge(file)
	}
	c := &converter{file: file, slis: map[string]field{}, services: map[string]field{}, sources: map[string]string{}}
	docs := c.decode(data)
	c.index(docs)
	var out []*converted
	res := &Result{}
	for _, d := range docs {
		if d.doc.Kind != "SLO" {
			continue
		}
		if s := c.convertSLO(d, out); s != nil {
			out = append(out, s)
			res.Imported = append(res.Imported, s.name)
		} else {
			res.Skipped = append(res.Skipped, d.doc.Name)
		}
	}
	if len(out) > 0 {
		res.YAML = c.render(out)
	}
	if c.slos == 0 && len(c.problems) == 0 {
		c.problem(nil, 0, "", "no SLO documents: write documents with apiVersion: %s and kind: SLO", APIVersion)
	}
	res.Warnings = sortUnique(c.warnings)
	return res, errors.Join(asErrors(sortUnique(c.problems))...)
}

// converter holds one conversion's documents and findings.
type converter struct {
	file     string
	slis     map[string]field  // SLI documents by name: their spec
	services map[string]field  // Service documents by name: their metadata
	sources  map[string]string // DataSource documents by name: their type
	slos     int
	problems []*Problem
	warnings []*Problem
}

func (c *converter) problem(d *Document, line int, path, format string, args ...any) {
	c.problems = append(c.problems, &Problem{File: c.file, Line: line, Doc: d, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (c *converter) errorf(f field, format string, args ...any) {
	c.problem(f.doc.doc, f.line, f.path, format, args...)
}

// sortUnique orders problems by line and drops repeats: an SLI used by two
// SLOs has its problems found twice.
func sortUnique(ps []*Problem) []*Problem {
	slices.SortStableFunc(ps, func(a, b *Problem) int { return cmp.Compare(a.Line, b.Line) })
	seen := map[string]bool{}
	out := ps[:0]
	for _, p := range ps {
		if s := p.Error(); !seen[s] {
			seen[s] = true
			out = append(out, p)
		}
	}
	return out
}

func asErrors(ps []*Problem) []error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errs
}

// document is one decoded document of the input.
type document struct {
	doc  *Document
	root field
}

// decode splits the stream into documents, keeping those up to a syntax
// error (the YAML parser cannot resume after one).
func (c *converter) decode(data []byte) []*document {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*document
	for num := 1; ; num++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			line, msg := slo.YAMLError(err)
			c.problem(&Document{Num: num}, line, "", "%s: fix the YAML syntax (the documents after it were not read)", msg)
			return docs
		}
		if d := c.document(num, &n); d != nil {
			docs = append(docs, d)
		}
	}
}

// document checks a document's header; nil for empty or unusable documents.
func (c *converter) document(num int, n *yaml.Node) *document {
	if len(n.Content) == 0 {
		return nil
	}
	d := &document{doc: &Document{Num: num}}
	d.root = field{doc: d, line: n.Content[0].Line}.at(n.Content[0])
	if d.root.n == nil {
		return nil // an empty document, e.g. after a trailing ---
	}
	d.doc.Kind = d.root.get("kind").text()
	d.doc.Name = d.root.get("metadata").get("name").text()
	if !d.root.is(yaml.MappingNode) {
		c.problem(d.doc, d.root.line, "", "must be keys and values, not %s: start it with apiVersion: %s and kind:", kindNames[d.root.n.Kind], APIVersion)
		return nil
	}
	if v := d.root.get("apiVersion"); v.text() != APIVersion {
		c.errorf(v, "%q is not supported: only %s documents are imported: upgrade the document and write apiVersion: %s", v.text(), APIVersion, APIVersion)
		return nil
	}
	switch d.doc.Kind {
	case "SLO", "SLI", "Service", "DataSource":
	case "AlertPolicy", "AlertCondition", "AlertNotificationTarget":
		c.warnings = append(c.warnings, &Problem{File: c.file, Line: d.root.line, Doc: d.doc, Msg: fmt.Sprintf("%s documents are not imported: flowslo alerts on burn rates by itself; set alerting: page: and ticket: (Slack channels) on the imported SLOs", d.doc.Kind)})
		return nil
	case "":
		c.problem(d.doc, d.root.line, "", "kind is missing: write kind: SLO (or SLI, Service)")
		return nil
	default:
		c.errorf(d.root.get("kind"), "%q is unknown: OpenSLO v1 kinds are SLO, SLI, Service, DataSource, AlertPolicy, AlertCondition, AlertNotificationTarget", d.doc.Kind)
		return nil
	}
	if d.doc.Name == "" {
		c.problem(d.doc, d.root.get("metadata").get("name").line, "", "metadata.name is missing: add metadata: {name: checkout-success}")
		return nil
	}
	return d
}

// index finds the documents SLOs refer to by name.
func (c *converter) index(docs []*document) {
	for _, d := range docs {
		name := d.doc.Name
		switch d.doc.Kind {
		case "SLO":
			c.slos++
		case "SLI":
			if _, dup := c.slis[name]; dup {
				c.errorf(d.root.get("metadata").get("name"), "SLI %q is defined twice: give each SLI its own name", name)
				continue
			}
			c.slis[name] = d.root.get("spec")
		case "Service":
			c.services[name] = d.root.get("metadata")
		case "DataSource":
			c.sources[name] = d.root.get("spec").get("type").text()
		}
	}
}

// Summary says in one line what was imported and what was not.
func (r *Result) Summary(file string) string {
	n := len(r.Imported) + len(r.Skipped)
	switch {
	case len(r.Skipped) > 0:
		return fmt.Sprintf("imported %d of %d SLOs from %s; not imported: %s (see the errors above)", len(r.Imported), n, file, strings.Join(r.Skipped, ", "))
	case n == 0:
		return fmt.Sprintf("no SLOs imported from %s", file)
	}
	if n == 1 {
		return fmt.Sprintf("imported 1 SLO from %s", file)
	}
	return fmt.Sprintf("imported %d SLOs from %s", n, file)
}
