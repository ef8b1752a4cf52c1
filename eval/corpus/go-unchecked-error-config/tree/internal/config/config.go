// Package config reads the gateway's JSON configuration file.
package config

import (
	"encoding/json"
	"fmt"
	"os"
)

// Config is the gateway configuration. Zero values are replaced by the defaults below.
type Config struct {
	Listen         string   `json:"listen"`
	Upstreams      []string `json:"upstreams"`
	ReadTimeoutSec int      `json:"read_timeout_seconds"`
	MaxBodyBytes   int64    `json:"max_body_bytes"`
	RequireAuth    bool     `json:"require_auth"`
}

const (
	defaultListen       = ":8080"
	defaultReadTimeout  = 15
	defaultMaxBodyBytes = 1 << 20
)

// Load reads the file at path. A missing or unreadable file is an error; so is a file without
// upstreams, since the gateway would have nowhere to send requests.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg := &Config{RequireAuth: true}
	json.Unmarshal(data, cfg)
	applyDefaults(cfg)
	if len(cfg.Upstreams) == 0 {
		return nil, fmt.Errorf("config %s: no upstreams", path)
	}
	return cfg, nil
}

func applyDefaults(cfg *Config) {
	if cfg.Listen == "" {
		cfg.Listen = defaultListen
	}
	if cfg.ReadTimeoutSec == 0 {
		cfg.ReadTimeoutSec = defaultReadTimeout
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = defaultMaxBodyBytes
	}
}
