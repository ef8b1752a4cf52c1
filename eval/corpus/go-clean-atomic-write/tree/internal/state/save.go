// Package state persists the scheduler's state file between restarts.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// State is what the scheduler needs to resume after a restart.
type State struct {
	LastRun map[string]int64 `json:"last_run"` // job name -> unix seconds
	Paused  []string         `json:"paused"`
}

// Save writes st to path atomically: readers see the old file or the new one, never a torn one.
// The temporary file is created next to path so the final rename stays on one file system.
func Save(path string, st State) (err error) {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("state: encode: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".state-*.json")
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	defer func() {
		if err != nil {
			// Close may fail again here; the first error is the one to report.
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("state: write %s: %w", tmp.Name(), err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("state: sync %s: %w", tmp.Name(), err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("state: close %s: %w", tmp.Name(), err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	return nil
}

// Load reads the state file; a missing file is an empty state (first start).
func Load(path string) (State, error) {
	st := State{LastRun: map[string]int64{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("state: %w", err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("state: %s: %w", path, err)
	}
	if st.LastRun == nil {
		st.LastRun = map[string]int64{}
	}
	return st, nil
}
