package consumers

import (
	"slices"

	"github.com/segmentio/kafka-go"
)

// CoPartitionBalancer assigns partition p of every subscribed topic to the
// same group member, so one task sees partition p of both join inputs.
//
// kafka-go's RangeGroupBalancer cannot be trusted for this: it does not sort
// partition IDs, so two topics' partition lists in different orders put
// partition p of each topic on different members (kafka-go issue #838). This
// balancer sorts members by ID and partition numbers numerically, and gives
// each member a contiguous range of partition numbers that is the same for
// every topic. Members that subscribe to only some topics get only those
// topics' partitions; the assignment of partition numbers does not depend on
// it, which keeps co-partitioning intact.
type CoPartitionBalancer struct{}

var _ kafka.GroupBalancer = CoPartitionBalancer{}

// ProtocolName implements kafka.GroupBalancer.
func (CoPartitionBalancer) ProtocolName() string { return "sstaudit-copartition" }

// UserData implements kafka.GroupBalancer.
func (CoPartitionBalancer) UserData() ([]byte, error) { return nil, nil }

// AssignGroups implements kafka.GroupBalancer.
func (CoPartitionBalancer) AssignGroups(members []kafka.GroupMember, partitions []kafka.Partition) kafka.GroupMemberAssignments {
	out := make(kafka.GroupMemberAssignments, len(members))
	if len(members) == 0 {
		return out
	}
	ids := make([]string, 0, len(members))
	subscribed := make(map[string]map[string]bool, len(members))
	for _, m := range members {
		ids = append(ids, m.ID)
		topics := make(map[string]bool, len(m.Topics))
		for _, t := range m.Topics {
			topics[t] = true
		}
		subscribed[m.ID] = topics
		out[m.ID] = map[string][]int{}
	}
	slices.Sort(ids)

	// Every partition number seen on any topic, sorted.
	numbers := make([]int, 0, len(partitions))
	for _, p := range partitions {
		numbers = append(numbers, p.ID)
	}
	slices.Sort(numbers)
	numbers = slices.Compact(numbers)

	owner := make(map[int]string, len(numbers))
	for i, n := range numbers {
		owner[n] = ids[i*len(ids)/len(numbers)]
	}
	for _, p := range partitions {
		id := owner[p.ID]
		if !subscribed[id][p.Topic] {
			continue
		}
		out[id][p.Topic] = append(out[id][p.Topic], p.ID)
	}
	for _, byTopic := range out {
		for t := range byTopic {
			slices.Sort(byTopic[t])
		}
	}
	return out
}
