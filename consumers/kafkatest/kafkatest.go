// Package kafkatest gives tests a Kafka cluster: the real Apache Kafka broker
// named by SSTAUDIT_TEST_BROKERS (started by `make test` through
// deploy/kafka/start.sh) for integration tests, or franz-go's in-process
// kfake broker for unit tests. Import it from _test.go files only.
package kafkatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// EnvBrokers names the environment variable that holds the comma-separated
// bootstrap brokers of the real Kafka used by integration tests.
const EnvBrokers = "SSTAUDIT_TEST_BROKERS"

// SkipMessage is the reason integration tests give when EnvBrokers is unset.
const SkipMessage = EnvBrokers + " not set: integration test skipped (make test runs the broker)"

// setupTimeout bounds topic creation and metadata waits.
const setupTimeout = 60 * time.Second

// Brokers returns the brokers of the real Kafka cluster from EnvBrokers, or
// skips the test when it is not set.
func Brokers(t testing.TB) []string {
	t.Helper()
	brokers := ParseBrokers(os.Getenv(EnvBrokers))
	if len(brokers) == 0 {
		t.Skip(SkipMessage)
	}
	return brokers
}

// ParseBrokers splits a comma-separated broker list, dropping blanks.
func ParseBrokers(s string) []string {
	var out []string
	for _, b := range strings.Split(s, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// UniqueName returns a topic or group name that no other test, test run or
// concurrent process uses: prefix, the test's name and a random suffix, made of
// characters Kafka accepts in topic names and short enough for them.
func UniqueName(t testing.TB, prefix string) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("kafkatest: random name suffix: %v", err)
	}
	suffix := hex.EncodeToString(b[:])
	// '.' and '_' collide in Kafka's metric names, so the test name keeps
	// neither; the caller's prefix is used as given.
	var sb strings.Builder
	for _, r := range t.Name() {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			sb.WriteRune(r)
		default:
			sb.WriteByte('-')
		}
	}
	name := sb.String()
	const maxLen = 200 // Kafka allows 249; leave room for derived names
	if room := maxLen - len(prefix) - len(suffix) - 2; len(name) > room {
		name = name[:max(room, 0)]
	}
	return prefix + "." + name + "." + suffix
}

// CreateTopics creates the named topics with the given partition count and
// replication factor 1, waits until metadata shows every partition with a
// leader, and deletes the topics when the test ends. Existing topics are kept
// as they are.
func CreateTopics(t testing.TB, brokers []string, partitions int, names ...string) {
	t.Helper()
	if len(names) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	specs := make([]kafka.TopicConfig, len(names))
	for i, n := range names {
		specs[i] = kafka.TopicConfig{Topic: n, NumPartitions: partitions, ReplicationFactor: 1}
	}
	err := retry(ctx, func() error {
		return withConn(ctx, brokers, func(conn *kafka.Conn) error {
			controller, err := conn.Controller()
			if err != nil {
				return fmt.Errorf("find controller: %w", err)
			}
			addr := net.JoinHostPort(controller.Host, strconv.Itoa(controller.Port))
			return withConn(ctx, []string{addr}, func(cc *kafka.Conn) error {
				return cc.CreateTopics(specs...) // ignores TopicAlreadyExists
			})
		})
	})
	if err != nil {
		t.Fatalf("kafkatest: create topics %v on %v: %v", names, brokers, err)
	}
	t.Cleanup(func() { deleteTopics(t, brokers, names) })

	err = retry(ctx, func() error {
		return withConn(ctx, brokers, func(conn *kafka.Conn) error {
			return leadersReady(conn, partitions, names)
		})
	})
	if err != nil {
		t.Fatalf("kafkatest: topics %v not ready on %v: %v", names, brokers, err)
	}
}

func deleteTopics(t testing.TB, brokers []string, names []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := withConn(ctx, brokers, func(conn *kafka.Conn) error {
		controller, err := conn.Controller()
		if err != nil {
			return err
		}
		addr := net.JoinHostPort(controller.Host, strconv.Itoa(controller.Port))
		return withConn(ctx, []string{addr}, func(cc *kafka.Conn) error {
			return cc.DeleteTopics(names...)
		})
	})
	if err != nil && !errors.Is(err, kafka.UnknownTopicOrPartition) {
		t.Logf("kafkatest: delete topics %v: %v", names, err)
	}
}

// leadersReady returns nil when metadata lists each topic with the expected
// number of partitions, each with a leader.
func leadersReady(conn *kafka.Conn, partitions int, names []string) error {
	parts, err := conn.ReadPartitions(names...)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, p := range parts {
		if p.Error != nil {
			return fmt.Errorf("topic %s partition %d: %w", p.Topic, p.ID, p.Error)
		}
		if p.Leader.Host == "" {
			return fmt.Errorf("topic %s partition %d has no leader yet", p.Topic, p.ID)
		}
		counts[p.Topic]++
	}
	for _, n := range names {
		if counts[n] < partitions {
			return fmt.Errorf("topic %s has %d of %d partitions in metadata", n, counts[n], partitions)
		}
	}
	return nil
}

// NewFake starts franz-go's in-process Kafka-protocol broker (one node, on
// loopback) with the topics seeded at the given partition count, and returns
// its address as a broker list. It is closed when the test ends. Like the
// real test broker it does not auto-create topics and accepts group session
// timeouts down to one second.
func NewFake(t testing.TB, partitions int32, topics ...string) []string {
	t.Helper()
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.DefaultNumPartitions(int(partitions)),
		kfake.GroupMinSessionTimeout(time.Second),
	}
	if len(topics) > 0 {
		opts = append(opts, kfake.SeedTopics(partitions, topics...))
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("kafkatest: start kfake: %v", err)
	}
	t.Cleanup(cluster.Close)
	return cluster.ListenAddrs()
}

func withConn(ctx context.Context, brokers []string, fn func(*kafka.Conn) error) error {
	var errs []error
	for _, b := range brokers {
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		conn, err := (&kafka.Dialer{Timeout: 5 * time.Second}).DialContext(dctx, "tcp", b)
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		defer conn.Close()
		if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
			return err
		}
		return fn(conn)
	}
	return errors.Join(errs...)
}

// retry calls fn every 100 ms until it succeeds or ctx ends, and then returns
// fn's last error.
func retry(ctx context.Context, fn func() error) error {
	for {
		err := fn()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}
