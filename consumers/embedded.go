package consumers

import (
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// EmbeddedBroker is an in-process Kafka-protocol broker (franz-go's kfake)
// on loopback, for `sstaudit demo` and unit tests. It is a test double:
// real Kafka semantics are proved against Apache Kafka.
type EmbeddedBroker struct {
	cluster *kfake.Cluster
}

// StartEmbeddedBroker starts a one-node broker with the topics created at
// the given partition count.
func StartEmbeddedBroker(partitions int, topics ...string) (*EmbeddedBroker, error) {
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.DefaultNumPartitions(partitions),
		kfake.GroupMinSessionTimeout(time.Second),
	}
	if len(topics) > 0 {
		opts = append(opts, kfake.SeedTopics(int32(partitions), topics...))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("consumers: start embedded broker: %w", err)
	}
	return &EmbeddedBroker{cluster: c}, nil
}

// Brokers returns the broker addresses.
func (b *EmbeddedBroker) Brokers() []string { return b.cluster.ListenAddrs() }

// Close stops the broker.
func (b *EmbeddedBroker) Close() { b.cluster.Close() }
