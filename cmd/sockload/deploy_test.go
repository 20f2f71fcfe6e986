package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// job is the part of a Kubernetes Job manifest the tests check.
type job struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct{ Name string }
	Spec       struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Parallelism    int    `yaml:"parallelism"`
		Template       struct {
			Spec struct {
				RestartPolicy string `yaml:"restartPolicy"`
				Containers    []struct {
					Args         []string
					VolumeMounts []struct {
						Name      string
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				}
				Volumes []struct {
					Name                  string
					ConfigMap             *struct{ Name string } `yaml:"configMap"`
					PersistentVolumeClaim *struct {
						ClaimName string `yaml:"claimName"`
					} `yaml:"persistentVolumeClaim"`
				}
			}
		}
	}
}

func readJob(t *testing.T, name string) job {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "k8s", name))
	if err != nil {
		t.Fatal(err)
	}
	var j job
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(false)
	if err := dec.Decode(&j); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if j.APIVersion != "batch/v1" || j.Kind != "Job" || j.Spec.Template.Spec.RestartPolicy != "Never" {
		t.Errorf("%s: %s %s with restartPolicy %q, want a batch/v1 Job that never restarts", name, j.APIVersion, j.Kind, j.Spec.Template.Spec.RestartPolicy)
	}
	if len(j.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", name, len(j.Spec.Template.Spec.Containers))
	}
	return j
}

// expandK8s stands in for Kubernetes' $(VAR) expansion in args.
func expandK8s(args []string, vars map[string]string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		for k, v := range vars {
			a = strings.ReplaceAll(a, "$("+k+")", v)
		}
		out[i] = a
	}
	return out
}

// parseArgs checks that the container's command line is one sockload
// accepts: a known command, known flags, the right number of arguments.
func parseArgs(t *testing.T, name string, args []string) map[string]string {
	t.Helper()
	root := newRootCommand(&processIO{getenv: func(string) string { return "" }})
	cmd, rest, err := root.Find(args)
	if err != nil || cmd == root {
		t.Fatalf("%s: %v is not a sockload command: %v", name, args, err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	flags := map[string]string{}
	for _, f := range []string{"shard", "start-at", "output"} {
		if fl := cmd.Flags().Lookup(f); fl != nil {
			flags[f] = fl.Value.String()
		}
	}
	return flags
}

func TestShardsJobManifest(t *testing.T) {
	j := readJob(t, "shards-job.yaml")
	spec := j.Spec
	if spec.CompletionMode != "Indexed" || spec.Completions < 2 || spec.Completions != spec.Parallelism {
		t.Fatalf("completionMode %q, completions %d, parallelism %d: want an Indexed Job running every shard at once", spec.CompletionMode, spec.Completions, spec.Parallelism)
	}
	c := spec.Template.Spec.Containers[0]
	args := expandK8s(c.Args, map[string]string{"START_AT": "2030-01-01T00:00:00Z", "JOB_COMPLETION_INDEX": "1"})
	flags := parseArgs(t, "shards-job.yaml", args)
	if want := "auto/" + strconv.Itoa(spec.Completions); flags["shard"] != want {
		t.Errorf("--shard %q, want %q: the shard count must equal the completions", flags["shard"], want)
	}
	if i, n, err := parseShardFlag(flags["shard"], func(string) string { return "1" }); err != nil || i != 2 || n != spec.Completions {
		t.Errorf("completion index 1 gives shard %d/%d (%v), want 2/%d", i, n, err, spec.Completions)
	}
	if _, err := parseStartAt(flags["start-at"]); err != nil {
		t.Error(err)
	}
	if !strings.HasPrefix(flags["output"], "/reports/shard-") {
		t.Errorf("--output %q is not on the reports volume", flags["output"])
	}
	checkMounts(t, j, map[string]string{"scenario": "/scenario", "reports": "/reports"})
}

func TestMergeJobManifest(t *testing.T) {
	j := readJob(t, "merge-job.yaml")
	c := j.Spec.Template.Spec.Containers[0]
	flags := parseArgs(t, "merge-job.yaml", c.Args)
	if c.Args[0] != "merge" || !strings.HasPrefix(flags["output"], "/reports/") {
		t.Errorf("the merge job runs %v", c.Args)
	}
	if len(c.Args) < 2 || c.Args[1] != "/reports/shard-*.json" {
		t.Errorf("the merge job reads %v, not the shards' /reports/shard-*.json", c.Args)
	}
	// The scenario is where the shards read it, for the checks.
	checkMounts(t, j, map[string]string{"scenario": "/scenario", "reports": "/reports"})
}

func checkMounts(t *testing.T, j job, want map[string]string) {
	t.Helper()
	spec := j.Spec.Template.Spec
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		if v.ConfigMap == nil && v.PersistentVolumeClaim == nil {
			t.Errorf("%s: volume %q has no source", j.Metadata.Name, v.Name)
		}
		if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName != "sockload-reports" {
			t.Errorf("%s: volume %q claims %q, not the sockload-reports claim of reports-pvc.yaml", j.Metadata.Name, v.Name, v.PersistentVolumeClaim.ClaimName)
		}
		volumes[v.Name] = true
	}
	mounts := map[string]string{}
	for _, m := range spec.Containers[0].VolumeMounts {
		if !volumes[m.Name] {
			t.Errorf("%s: mount of undeclared volume %q", j.Metadata.Name, m.Name)
		}
		mounts[m.Name] = m.MountPath
	}
	for name, path := range want {
		if mounts[name] != path {
			t.Errorf("%s: volume %q mounted at %q, want %q", j.Metadata.Name, name, mounts[name], path)
		}
	}
}

func TestReportsClaim(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "k8s", "reports-pvc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var pvc struct {
		Kind     string
		Metadata struct{ Name string }
		Spec     struct {
			AccessModes []string `yaml:"accessModes"`
		}
	}
	if err := yaml.Unmarshal(data, &pvc); err != nil {
		t.Fatal(err)
	}
	if pvc.Kind != "PersistentVolumeClaim" || pvc.Metadata.Name != "sockload-reports" || len(pvc.Spec.AccessModes) != 1 || pvc.Spec.AccessModes[0] != "ReadWriteMany" {
		t.Errorf("reports claim: %+v; shards on several nodes need ReadWriteMany", pvc)
	}
}
