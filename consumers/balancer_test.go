package consumers

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/segmentio/kafka-go"
)

func TestCoPartitionBalancer(t *testing.T) {
	t.Parallel()
	topics := []string{"tracking.client", "tracking.server"}
	for _, tc := range []struct {
		name       string
		members    int
		partitions int
	}{
		{"one member", 1, 6},
		{"two members even", 2, 6},
		{"three members odd", 3, 7},
		{"more members than partitions", 5, 3},
		{"single partition", 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(tc.members), uint64(tc.partitions)))
			var members []kafka.GroupMember
			for i := range tc.members {
				members = append(members, kafka.GroupMember{ID: fmt.Sprintf("member-%d", i), Topics: topics})
			}
			rng.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
			// Partitions in a different scrambled order per topic, as in kafka-go #838.
			var parts []kafka.Partition
			for _, topic := range topics {
				ids := rng.Perm(tc.partitions)
				for _, id := range ids {
					parts = append(parts, kafka.Partition{Topic: topic, ID: id})
				}
			}
			got := CoPartitionBalancer{}.AssignGroups(members, parts)

			owner := map[string]map[int]string{}
			for member, byTopic := range got {
				for topic, ps := range byTopic {
					if owner[topic] == nil {
						owner[topic] = map[int]string{}
					}
					for _, p := range ps {
						if prev, dup := owner[topic][p]; dup {
							t.Fatalf("%s/%d assigned to %s and %s", topic, p, prev, member)
						}
						owner[topic][p] = member
					}
				}
			}
			for p := range tc.partitions {
				a, b := owner[topics[0]][p], owner[topics[1]][p]
				if a == "" || b == "" {
					t.Fatalf("partition %d unassigned: %q %q", p, a, b)
				}
				if a != b {
					t.Fatalf("partition %d split: %s has %s, %s has %s", p, topics[0], a, topics[1], b)
				}
			}
			// Deterministic whatever the input order.
			rng.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
			again := CoPartitionBalancer{}.AssignGroups(members, parts)
			if fmt.Sprint(again) != fmt.Sprint(got) {
				t.Fatalf("assignment depends on member order:\n%v\n%v", got, again)
			}
			// Balanced: member loads differ by at most one partition number.
			load := map[string]int{}
			for _, m := range members {
				load[m.ID] = len(got[m.ID][topics[0]])
			}
			lo, hi := tc.partitions, 0
			for _, n := range load {
				lo, hi = min(lo, n), max(hi, n)
			}
			if hi-lo > 1 {
				t.Fatalf("unbalanced loads %v", load)
			}
		})
	}
}
