package consumers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// ErrNotCoPartitioned is returned at start-up when the two join inputs have
// different partition counts.
var ErrNotCoPartitioned = errors.New("consumers: join inputs are not co-partitioned")

// PartitionCountError says which topics disagree, and what to do about it.
type PartitionCountError struct {
	ClientTopic, ServerTopic string
	Client, Server           int
}

func (e *PartitionCountError) Error() string {
	return fmt.Sprintf("consumers: %s has %d partitions but %s has %d: the join needs co-partitioned inputs "+
		"(same partition count, keyed by event_id with murmur2); give both topics the same partition count, or run with --repartition",
		e.ClientTopic, e.Client, e.ServerTopic, e.Server)
}

func (e *PartitionCountError) Unwrap() error { return ErrNotCoPartitioned }

// TopicSpec describes a topic sstaudit creates when it is missing.
type TopicSpec struct {
	Name       string
	Partitions int
	Compacted  bool // cleanup.policy=compact (state changelogs)
}

// admin is the small set of cluster operations the pipeline needs.
type admin struct {
	client *kafka.Client
}

// newAdmin returns an admin with its own transport: kafka-go's shared
// DefaultTransport caches cluster metadata for seconds, long enough to
// report a topic created a moment ago by another client as missing. Call
// close when done.
func newAdmin(brokers []string, timeout time.Duration) *admin {
	return &admin{client: newClient(brokers, timeout)}
}

// close releases the admin's transport.
func (a *admin) close() { releaseClient(a.client) }

// metadataTTL is how often a transport refreshes cluster metadata in the
// background. kafka-go also uses it as the timeout of that refresh, so it
// must stay well above a loaded broker's response time; topics created or
// found unknown trigger a refresh on demand anyway.
const metadataTTL = 5 * time.Second

// newTransport returns a transport of one's own (see newAdmin). Each
// transport runs a metadata discovery goroutine until it is closed with
// CloseIdleConnections: release it.
func newTransport() *kafka.Transport {
	return &kafka.Transport{MetadataTTL: metadataTTL, IdleTimeout: 30 * time.Second}
}

// newClient returns a client with a transport of its own; release it with
// releaseClient.
func newClient(brokers []string, timeout time.Duration) *kafka.Client {
	return &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: timeout, Transport: newTransport()}
}

// releaseClient stops the client's transport (its discovery goroutine and
// idle connections).
func releaseClient(c *kafka.Client) {
	if t, ok := c.Transport.(*kafka.Transport); ok {
		t.CloseIdleConnections()
	}
}

// closeWriter closes w and then its transport.
func closeWriter(w *kafka.Writer) error {
	err := w.Close()
	if t, ok := w.Transport.(*kafka.Transport); ok {
		t.CloseIdleConnections()
	}
	return err
}

// partitions returns the partition count of each topic; a missing topic
// has count 0.
func (a *admin) partitions(ctx context.Context, topics ...string) (map[string]int, error) {
	resp, err := a.client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("consumers: metadata for %v: %w", topics, err)
	}
	out := make(map[string]int, len(topics))
	for _, t := range resp.Topics {
		if t.Error != nil {
			if errors.Is(t.Error, kafka.UnknownTopicOrPartition) {
				out[t.Name] = 0
				continue
			}
			return nil, fmt.Errorf("consumers: metadata for %s: %w", t.Name, t.Error)
		}
		out[t.Name] = len(t.Partitions)
	}
	return out, nil
}

// checkCoPartitioned returns the common partition count of the two join
// inputs, or a *PartitionCountError.
func (a *admin) checkCoPartitioned(ctx context.Context, clientTopic, serverTopic string) (int, error) {
	counts, err := a.partitions(ctx, clientTopic, serverTopic)
	if err != nil {
		return 0, err
	}
	c, s := counts[clientTopic], counts[serverTopic]
	if c == 0 {
		return 0, fmt.Errorf("consumers: input topic %s does not exist", clientTopic)
	}
	if s == 0 {
		return 0, fmt.Errorf("consumers: input topic %s does not exist", serverTopic)
	}
	if c != s {
		return 0, &PartitionCountError{ClientTopic: clientTopic, ServerTopic: serverTopic, Client: c, Server: s}
	}
	return c, nil
}

// ensureTopics creates the topics that do not exist yet, with replication
// factor -1 (the broker default), and waits until their metadata shows every
// partition. Existing topics are left as they are.
func (a *admin) ensureTopics(ctx context.Context, specs []TopicSpec) error {
	names := make([]string, 0, len(specs))
	for _, s := range specs {
		names = append(names, s.Name)
	}
	counts, err := a.partitions(ctx, names...)
	if err != nil {
		return err
	}
	var create []kafka.TopicConfig
	for _, s := range specs {
		if counts[s.Name] > 0 {
			continue
		}
		tc := kafka.TopicConfig{Topic: s.Name, NumPartitions: s.Partitions, ReplicationFactor: -1}
		if s.Compacted {
			tc.ConfigEntries = []kafka.ConfigEntry{{ConfigName: "cleanup.policy", ConfigValue: "compact"}}
		}
		create = append(create, tc)
	}
	if len(create) == 0 {
		return nil
	}
	resp, err := a.client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: create})
	if err != nil {
		return fmt.Errorf("consumers: create topics: %w", err)
	}
	for name, terr := range resp.Errors {
		if terr != nil && !errors.Is(terr, kafka.TopicAlreadyExists) {
			return fmt.Errorf("consumers: create topic %s: %w", name, terr)
		}
	}
	// Wait for the new topics to show up with all their partitions.
	deadline := time.Now().Add(30 * time.Second)
	for {
		counts, err := a.partitions(ctx, names...)
		if err == nil {
			ready := true
			for _, s := range specs {
				if counts[s.Name] < max(s.Partitions, 1) && counts[s.Name] == 0 {
					ready = false
				}
			}
			if ready {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("consumers: topics %v not ready after 30s", names)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
