package matchkeys_test

import (
	"fmt"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/processors/matchkeys"
)

// The match_keys block of an audit record for a server event with a hashed
// email, IP, user agent and fbp.
func ExampleSummarize() {
	s := processors.Snapshot{MatchKeys: processors.KeyEmail | processors.KeyClientIP | processors.KeyUserAgent | processors.KeyFBP}
	mk := matchkeys.Summarize(&s, nil)
	fmt.Println(mk.Present, mk.Count, mk.Band, mk.EMQEstimate)
	// Output: [em client_ip_address client_user_agent fbp] 4 warn 7.3
}
