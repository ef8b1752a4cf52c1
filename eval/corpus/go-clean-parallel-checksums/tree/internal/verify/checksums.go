// Package verify checks downloaded release files against their published SHA-256 sums.
package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Mismatch is one file whose checksum differs from the published one.
type Mismatch struct {
	File string
	Want string
	Got  string
}

func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close() // read-only: Close cannot lose data
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Check hashes every file named in want (file name -> hex sum, from the release's signed
// SHA256SUMS) under dir, `workers` at a time, and returns the mismatches sorted by file name.
// An unreadable file is an error.
func Check(dir string, want map[string]string, workers int) ([]Mismatch, error) {
	if workers < 1 {
		workers = 1
	}
	names := make(chan string)
	var (
		mu         sync.Mutex
		mismatches []Mismatch
		firstErr   error
		wg         sync.WaitGroup
	)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range names {
				got, err := fileSum(filepath.Join(dir, name))
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				} else if err == nil && !strings.EqualFold(got, want[name]) {
					mismatches = append(mismatches, Mismatch{File: name, Want: want[name], Got: got})
				}
				mu.Unlock()
			}
		}()
	}
	for name := range want {
		names <- name
	}
	close(names)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	sort.Slice(mismatches, func(i, j int) bool { return mismatches[i].File < mismatches[j].File })
	return mismatches, nil
}
