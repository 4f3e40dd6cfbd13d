package main

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/flowslo/flowslo/internal/app"
)

const deployDir = "../../deploy"

// manifest is the part of a Kubernetes object the checks read.
type manifest struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		ServiceSelector map[string]string `yaml:"-"`
		ScaleTargetRef  struct {
			Kind, Name string
		} `yaml:"scaleTargetRef"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
		Ports []struct {
			Name       string `yaml:"name"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
	raw map[string]any
}

type podSpec struct {
	Containers []container `yaml:"containers"`
	Volumes    []struct {
		Name      string `yaml:"name"`
		ConfigMap struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
	} `yaml:"volumes"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

type container struct {
	Name  string   `yaml:"name"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	VolumeMounts   []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

// TestDeployManifests parses every manifest under deploy/ and checks it
// against the binary: flowslo's args parse with its own flag sets, the
// container ports are the ports those flags listen on, probes and
// Services name ports that exist, HPAs and PDBs find their pods, the
// config file the pods mount loads with flowslo's config loader, and
// kustomizations list files that exist.
func TestDeployManifests(t *testing.T) {
	objs := readManifests(t)
	pods := map[string]*manifest{} // by app label
	for _, o := range objs {
		if o.Kind == "Deployment" || o.Kind == "StatefulSet" {
			pods[o.Spec.Template.Metadata.Labels["app"]] = o
			for _, c := range o.Spec.Template.Spec.Containers {
				checkContainer(t, o, c)
			}
		}
	}
	names := map[string]bool{}
	for _, o := range objs {
		names[o.Kind+"/"+o.Metadata.Name] = true
	}
	for _, o := range objs {
		switch o.Kind {
		case "Service":
			checkService(t, o, pods)
		case "PodDisruptionBudget":
			if pods[o.Spec.Selector.MatchLabels["app"]] == nil {
				t.Errorf("PDB %s selects no pods", o.Metadata.Name)
			}
		case "HorizontalPodAutoscaler":
			if ref := o.Spec.ScaleTargetRef; !names[ref.Kind+"/"+ref.Name] {
				t.Errorf("HPA %s scales %s/%s, which no manifest defines", o.Metadata.Name, ref.Kind, ref.Name)
			}
		}
	}
	// Servers elect a leader (store/lease): two replicas keep the pages
	// going when one dies, and a rolling update keeps one serving.
	if c := pods["flowslo-server"]; c == nil || replicas(c) < 2 || strategy(c) != "RollingUpdate" {
		t.Error("the servers' Deployment must run at least 2 replicas with the RollingUpdate strategy")
	}
	if pdb := byName(objs, "PodDisruptionBudget", "flowslo-server"); pdb == nil || pdbMinAvailable(pdb) < 1 {
		t.Error("the servers' PDB must keep at least one replica available (minAvailable: 1)")
	}
}

func byName(objs []*manifest, kind, name string) *manifest {
	for _, o := range objs {
		if o.Kind == kind && o.Metadata.Name == name {
			return o
		}
	}
	return nil
}

func pdbMinAvailable(o *manifest) int {
	spec, _ := o.raw["spec"].(map[string]any)
	n, _ := spec["minAvailable"].(int)
	return n
}

func strategy(o *manifest) string {
	spec, _ := o.raw["spec"].(map[string]any)
	st, _ := spec["strategy"].(map[string]any)
	t, _ := st["type"].(string)
	return t
}

func replicas(o *manifest) int {
	spec, _ := o.raw["spec"].(map[string]any)
	n, _ := spec["replicas"].(int)
	return n
}

// checkContainer parses a flowslo container's args as the binary does and
// compares its ports, probes and config with them.
func checkContainer(t *testing.T, o *manifest, c container) {
	if len(c.Args) == 0 || (c.Args[0] != "serve" && c.Args[0] != "collector") {
		return
	}
	parse := parseServeFlags
	if c.Args[0] == "collector" {
		parse = parseCollectorFlags
	}
	var errs bytes.Buffer
	opts, err := parse(c.Args[1:], &errs)
	if err != nil {
		t.Errorf("%s/%s: flowslo refuses its args: %v %s", o.Kind, o.Metadata.Name, err, errs.String())
		return
	}
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	want := map[string]string{"http": opts.HTTPAddr}
	if opts.Role != app.RoleServer {
		want["otlp-grpc"], want["otlp-http"] = opts.OTLPGRPCAddr, opts.OTLPHTTPAddr
	} else if _, ok := ports["otlp-grpc"]; ok {
		t.Errorf("%s: a server has no OTLP receiver, yet exposes otlp-grpc", o.Metadata.Name)
	}
	for name, addr := range want {
		if got := ports[name]; got != portOf(t, addr) {
			t.Errorf("%s: container port %s is %d, flowslo listens on %s", o.Metadata.Name, name, got, addr)
		}
	}
	for _, p := range []*probe{c.ReadinessProbe, c.LivenessProbe} {
		if p == nil || (p.HTTPGet.Path != "/readyz" && p.HTTPGet.Path != "/healthz") || ports[p.HTTPGet.Port] == 0 {
			t.Errorf("%s: probe %+v must GET /readyz or /healthz on a declared port", o.Metadata.Name, p)
		}
	}
	if opts.ConfigFile != "" {
		checkConfigMount(t, o, c, opts.ConfigFile)
	}
	if opts.Role == app.RoleCollector {
		checkQueueVolume(t, o, c, opts.ConfigFile)
	}
	if opts.ClickHouseDSN != "" {
		if u, err := url.Parse(opts.ClickHouseDSN); err != nil || u.User.String() != "flowslo" || u.Path != "/flowslo" || u.Port() != "9000" {
			t.Errorf("%s: DSN %s must be flowslo@…:9000/flowslo, as the ClickHouseInstallation and the upstream collector's config", o.Metadata.Name, opts.ClickHouseDSN)
		}
	}
}

// checkConfigMount: the --config file is in a mounted flowslo-config map,
// whose file in deploy/ loads with flowslo's own loader.
func checkConfigMount(t *testing.T, o *manifest, c container, path string) {
	for _, m := range c.VolumeMounts {
		if filepath.Dir(path) != m.MountPath {
			continue
		}
		for _, v := range o.Spec.Template.Spec.Volumes {
			if v.Name == m.Name && v.ConfigMap.Name == "flowslo-config" {
				return
			}
		}
	}
	t.Errorf("%s: --config %s is not in a mounted flowslo-config ConfigMap", o.Metadata.Name, path)
}

// checkQueueVolume: a collector's persistent queue (queue.dir of its
// config) is on a volume claimed per pod, which a replaced pod gets back:
// on an emptyDir, what was acknowledged and not yet stored would go with
// the deleted pod.
func checkQueueVolume(t *testing.T, o *manifest, c container, config string) {
	cfg, err := app.LoadConfig(filepath.Join(deployDir, "kubernetes", "servers", filepath.Base(config)))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Queue.Dir == "" {
		t.Errorf("%s: the collectors' config sets no queue.dir (default <data-dir>/queue, on the container's own disk)", o.Metadata.Name)
		return
	}
	spec, _ := o.raw["spec"].(map[string]any)
	claims, _ := spec["volumeClaimTemplates"].([]any)
	for _, m := range c.VolumeMounts {
		if m.MountPath != cfg.Queue.Dir {
			continue
		}
		for _, cl := range claims {
			if md, _ := cl.(map[string]any)["metadata"].(map[string]any); md["name"] == m.Name {
				return
			}
		}
	}
	t.Errorf("%s: queue.dir %s is not a mounted volumeClaimTemplate of the %s", o.Metadata.Name, cfg.Queue.Dir, o.Kind)
}

func checkService(t *testing.T, o *manifest, pods map[string]*manifest) {
	sel, _ := o.raw["spec"].(map[string]any)["selector"].(map[string]any)
	pod := pods[sel["app"].(string)]
	if pod == nil {
		t.Errorf("Service %s selects no pods", o.Metadata.Name)
		return
	}
	declared := map[string]bool{}
	for _, c := range pod.Spec.Template.Spec.Containers {
		for _, p := range c.Ports {
			declared[p.Name] = true
		}
	}
	for _, p := range o.Spec.Ports {
		if p.TargetPort == "" {
			p.TargetPort = p.Name // the Service's port number is the container's
		}
		if !declared[p.TargetPort] {
			t.Errorf("Service %s targets port %q, which its pods do not declare", o.Metadata.Name, p.TargetPort)
		}
	}
}

func portOf(t *testing.T, addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// readManifests parses every YAML document under deploy/kubernetes
// (kustomizations and config files checked on the way).
func readManifests(t *testing.T) []*manifest {
	var out []*manifest
	err := filepath.WalkDir(filepath.Join(deployDir, "kubernetes"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var raw map[string]any
			if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Errorf("%s: %v", path, err)
				break
			}
			checkDocument(t, path, raw, &out)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func checkDocument(t *testing.T, path string, raw map[string]any, out *[]*manifest) {
	if raw["kind"] == "Kustomization" {
		checkKustomization(t, path, raw)
		return
	}
	if raw["kind"] == nil {
		return // a config file a kustomization turns into a ConfigMap
	}
	b, _ := yaml.Marshal(raw)
	m := &manifest{raw: raw}
	if err := yaml.Unmarshal(b, m); err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	*out = append(*out, m)
}

// checkKustomization: every resource and generated file exists.
func checkKustomization(t *testing.T, path string, raw map[string]any) {
	dir := filepath.Dir(path)
	var refs []string
	for _, r := range raw["resources"].([]any) {
		refs = append(refs, r.(string))
	}
	gens, _ := raw["configMapGenerator"].([]any)
	for _, g := range gens {
		for _, f := range g.(map[string]any)["files"].([]any) {
			refs = append(refs, f.(string))
		}
	}
	for _, r := range refs {
		if strings.HasPrefix(r, "../../") {
			t.Errorf("%s: %s is outside the kustomization's tree, which kustomize refuses", path, r)
		}
		if _, err := os.Stat(filepath.Join(dir, r)); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}

// TestDeployConfigs: the service config the pods mount loads with
// flowslo's loader (unknown keys are errors); its cluster is the
// ClickHouseInstallation's; the upstream collector writes flowslo's
// tables in flowslo's database without creating a schema of its own.
func TestDeployConfigs(t *testing.T) {
	k := filepath.Join(deployDir, "kubernetes")
	cfg, err := app.LoadConfig(filepath.Join(k, "servers", "flowslo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var chi struct {
		Spec struct {
			Configuration struct {
				Clusters []struct{ Name string } `yaml:"clusters"`
			} `yaml:"configuration"`
		} `yaml:"spec"`
	}
	readYAML(t, filepath.Join(k, "clickhouse", "cluster.yaml"), &chi)
	if cl := chi.Spec.Configuration.Clusters; len(cl) != 1 || cl[0].Name != cfg.Storage.Cluster {
		t.Errorf("ClickHouseInstallation clusters %+v, flowslo's storage.cluster is %q", cl, cfg.Storage.Cluster)
	}
	var col struct {
		Exporters struct {
			ClickHouse map[string]any `yaml:"clickhouse"`
		} `yaml:"exporters"`
	}
	readYAML(t, filepath.Join(k, "upstream-collector", "config.yaml"), &col)
	ch := col.Exporters.ClickHouse
	for key, want := range map[string]any{"traces_table_name": "otel_traces", "logs_table_name": "otel_logs",
		"create_schema": false, "database": "flowslo", "username": "flowslo"} {
		if ch[key] != want {
			t.Errorf("upstream collector exporters.clickhouse.%s = %v, want %v", key, ch[key], want)
		}
	}
	if u, err := url.Parse(ch["endpoint"].(string)); err != nil || u.Port() != "9000" {
		t.Errorf("upstream collector endpoint %v: want the native port 9000", ch["endpoint"])
	}
}

// TestSystemdUnit: the unit's ExecStart is a command flowslo accepts.
func TestSystemdUnit(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(deployDir, "systemd", "flowslo.service"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	for _, line := range strings.Split(text, "\n") {
		cmd, ok := strings.CutPrefix(line, "ExecStart=")
		if !ok {
			continue
		}
		f := strings.Fields(cmd)
		if len(f) < 2 || f[1] != "serve" {
			t.Fatalf("ExecStart %q does not run flowslo serve", cmd)
		}
		var errs bytes.Buffer
		opts, err := parseServeFlags(f[2:], &errs)
		if err != nil {
			t.Fatalf("flowslo refuses the unit's flags: %v %s", err, errs.String())
		}
		if opts.DataDir != "/var/lib/flowslo" || !strings.Contains(text, "ReadWritePaths="+opts.DataDir) {
			t.Errorf("the data dir %s must be the unit's writable path", opts.DataDir)
		}
		return
	}
	t.Fatal("no ExecStart in the unit")
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
