// Package loyalty computes customer tiers for the rewards programme.
package loyalty

import (
	"fmt"
	"sort"
)

// Tier is a rewards level; higher tiers earn more points per euro.
type Tier string

const (
	Basic  Tier = "basic"
	Silver Tier = "silver"
	Gold   Tier = "gold"
)

// Yearly spend, in euros, needed for each tier (from the programme's terms and conditions).
const (
	silverSpend = 500
	goldSpend   = 2000
)

// TierFor is the tier earned by spending `spend` euros over the last twelve months.
func TierFor(spend int) Tier {
	switch {
	case spend >= silverSpend:
		return Silver
	case spend >= goldSpend:
		return Gold
	default:
		return Basic
	}
}

// PointsPerEuro is the earning rate of each tier.
func PointsPerEuro(t Tier) (int, error) {
	switch t {
	case Basic:
		return 1, nil
	case Silver:
		return 2, nil
	case Gold:
		return 3, nil
	}
	return 0, fmt.Errorf("loyalty: unknown tier %q", t)
}

// Counts is how many customers are in each tier, for the programme dashboard.
func Counts(spendByCustomer map[string]int) []string {
	counts := map[Tier]int{}
	for _, spend := range spendByCustomer {
		counts[TierFor(spend)]++
	}
	lines := make([]string, 0, len(counts))
	for tier, n := range counts {
		lines = append(lines, fmt.Sprintf("%s: %d", tier, n))
	}
	sort.Strings(lines)
	return lines
}
