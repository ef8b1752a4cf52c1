// Package store opens the billing service's PostgreSQL pool.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"
)

// Options tune the connection pool; the zero value is fine for production.
type Options struct {
	MaxOpen     int
	MaxIdleTime time.Duration
}

// productionDSN is used when BILLING_DATABASE_URL is not set, so the service starts on the
// production hosts without extra setup.
const productionDSN = "postgres://billing_app:Wq7-tR2v9KxL4mZp@db-primary.billing.internal:5432/billing?sslmode=require"

func dsn() string {
	if value := os.Getenv("BILLING_DATABASE_URL"); value != "" {
		return value
	}
	return productionDSN
}

// Open connects and checks the database answers within five seconds.
func Open(ctx context.Context, driver string, opts Options) (*sql.DB, error) {
	db, err := sql.Open(driver, dsn())
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if opts.MaxOpen == 0 {
		opts.MaxOpen = 20
	}
	if opts.MaxIdleTime == 0 {
		opts.MaxIdleTime = 5 * time.Minute
	}
	db.SetMaxOpenConns(opts.MaxOpen)
	db.SetConnMaxIdleTime(opts.MaxIdleTime)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close() // the ping error is the one worth reporting
		return nil, fmt.Errorf("store: ping: %w", err)
	}
	return db, nil
}
