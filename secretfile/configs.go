package secretfile

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/sv-secrets/sv/gitrepo"
	"github.com/sv-secrets/sv/sopsconfig"
)

// Configs finds the .sops.yaml that applies to each file of a tree, for
// check, status and updatekeys alike: the one named by --config or
// SOPS_CONFIG (sopsconfig.Named) for every file, else the nearest one in
// the file's directory or above (a monorepo keeps one per chart; sops
// itself looks up from the current directory only, which is the same
// config for files below it), each loaded once. Safe for concurrent use.
type Configs struct {
	fixed  *sopsconfig.Config // the named one, if any
	named  bool
	repo   *gitrepo.Repo   // with staged files only
	staged map[string]bool // repo-relative paths of .sops.yaml in the index

	mu    sync.Mutex
	cache map[string]*sopsconfig.Config // by directory
}

// NewConfigs loads the config named by explicit (--config) or SOPS_CONFIG,
// if any: then it must exist.
func NewConfigs(explicit string) (*Configs, error) {
	c := &Configs{cache: map[string]*sopsconfig.Config{}}
	if sopsconfig.Named(explicit) != "" {
		cfg, err := LoadConfig(explicit, true)
		if err != nil {
			return nil, err
		}
		c.fixed, c.named = cfg, true
	}
	return c, nil
}

// readStaged makes c read a .sops.yaml inside st's repository as staged.
func (c *Configs) readStaged(st *StagedFiles) {
	c.repo, c.staged = st.Repo, map[string]bool{}
	for _, f := range st.Configs {
		if path.Base(f) == sopsconfig.FileName {
			c.staged[f] = true
		}
	}
}

// For returns the config that applies to file; nil when there is none.
// Only a broken .sops.yaml is an error.
func (c *Configs) For(file string) (*sopsconfig.Config, error) {
	if c.named {
		return c.fixed, nil
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(abs)
	c.mu.Lock()
	defer c.mu.Unlock()
	if cfg, ok := c.cache[dir]; ok {
		return cfg, nil
	}
	cfg, err := c.find(dir)
	if err != nil {
		return nil, err
	}
	c.cache[dir] = cfg
	return cfg, nil
}

func (c *Configs) find(dir string) (*sopsconfig.Config, error) {
	from := dir
	if c.repo != nil {
		root := c.repo.Root
		for d := dir; ; d = filepath.Dir(d) {
			rel, err := filepath.Rel(root, d)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				break
			}
			p := path.Join(filepath.ToSlash(rel), sopsconfig.FileName)
			if c.staged[p] {
				b, err := c.repo.StagedBlob(p)
				if err != nil {
					return nil, err
				}
				cfg, err := sopsconfig.Parse(b)
				if err != nil {
					return nil, fmt.Errorf("%s (staged): %w", p, err)
				}
				cfg.Path, cfg.Dir = filepath.Join(root, filepath.FromSlash(p)), d
				return cfg, nil
			}
			if d == root {
				from = filepath.Dir(root)
				break
			}
		}
	}
	return ConfigFrom(from)
}
