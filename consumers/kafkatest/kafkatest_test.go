package kafkatest

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// javaMurmur2 is Apache Kafka's Utils.murmur2 (the Java producer's default
// partitioner hash), written out independently of kafka-go.
func javaMurmur2(data []byte) int32 {
	const (
		seed uint32 = 0x9747b28c
		m    uint32 = 0x5bd1e995
		r           = 24
	)
	length := len(data)
	h := seed ^ uint32(length)
	for i := 0; i+4 <= length; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	tail := length &^ 3
	switch length % 4 {
	case 3:
		h ^= uint32(data[tail+2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[tail+1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[tail])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// javaPartition is the Java producer's partition for a keyed record:
// toPositive(murmur2(key)) % numPartitions.
func javaPartition(key []byte, partitions int) int {
	return int(uint32(javaMurmur2(key))&0x7fffffff) % partitions
}

func TestJavaMurmur2Vectors(t *testing.T) {
	// Expected values from Apache Kafka's UtilsTest.testMurmur2.
	cases := map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	}
	for in, want := range cases {
		if got := javaMurmur2([]byte(in)); got != want {
			t.Errorf("murmur2(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestUniqueName(t *testing.T) {
	valid := regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)
	seen := map[string]bool{}
	for range 100 {
		n := UniqueName(t, "tracking.client")
		if !valid.MatchString(n) || len(n) > 249 {
			t.Fatalf("UniqueName = %q: not a valid Kafka topic name", n)
		}
		if !strings.HasPrefix(n, "tracking.client.TestUniqueName.") {
			t.Fatalf("UniqueName = %q: want prefix and test name", n)
		}
		if seen[n] {
			t.Fatalf("UniqueName returned %q twice", n)
		}
		seen[n] = true
	}
	t.Run("long/sub_test name "+strings.Repeat("x", 300), func(t *testing.T) {
		n := UniqueName(t, "p")
		if !valid.MatchString(n) || len(n) > 249 || strings.Contains(n, "_") {
			t.Fatalf("UniqueName = %q (len %d): not a valid, collision-free topic name", n, len(n))
		}
	})
}

func TestParseBrokers(t *testing.T) {
	got := ParseBrokers(" 127.0.0.1:29092, ,localhost:9092,")
	if fmt.Sprint(got) != "[127.0.0.1:29092 localhost:9092]" {
		t.Fatalf("ParseBrokers = %q", got)
	}
	if got := ParseBrokers(""); got != nil {
		t.Fatalf("ParseBrokers(\"\") = %q, want nil", got)
	}
}

func TestBrokersSkipsWithoutEnv(t *testing.T) {
	t.Setenv(EnvBrokers, "")
	reached := false
	t.Run("inner", func(t *testing.T) {
		Brokers(t)
		reached = true
	})
	if reached {
		t.Fatal("Brokers returned without " + EnvBrokers + "; want the test skipped")
	}
	t.Setenv(EnvBrokers, "127.0.0.1:1,127.0.0.1:2")
	if got := Brokers(t); len(got) != 2 || got[1] != "127.0.0.1:2" {
		t.Fatalf("Brokers = %q", got)
	}
}

func TestFakeProduceConsumeGroup(t *testing.T) {
	const partitions = 4
	topic := UniqueName(t, "tracking.client")
	brokers := NewFake(t, partitions, topic)
	roundTrip(t, brokers, topic, partitions)
}

func TestFakeCreateTopics(t *testing.T) {
	brokers := NewFake(t, 1)
	a, b := UniqueName(t, "a"), UniqueName(t, "b")
	CreateTopics(t, brokers, 3, a, b)
	CreateTopics(t, brokers, 3, a) // already exists: no error
	conn, err := kafka.Dial("tcp", brokers[0])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	parts, err := conn.ReadPartitions(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 6 {
		t.Fatalf("got %d partitions for %s and %s, want 6", len(parts), a, b)
	}
}

func TestIntegrationBrokerProduceConsumeGroup(t *testing.T) {
	brokers := Brokers(t)
	const partitions = 4
	topic := UniqueName(t, "tracking.server")
	CreateTopics(t, brokers, partitions, topic)
	roundTrip(t, brokers, topic, partitions)
}

// roundTrip produces keyed records with kafka-go's Murmur2Balancer and
// RequireAll, checks each lands on the Java producer's partition for its key,
// consumes them all through a consumer group with explicit commits, and checks
// the group's committed offsets.
func roundTrip(t *testing.T, brokers []string, topic string, partitions int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	const n = 200
	w := &kafka.Writer{
		Addr:         kafka.TCP(brokers...),
		Topic:        topic,
		Balancer:     &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: 5 * time.Millisecond,
	}
	msgs := make([]kafka.Message, n)
	wantPartition := map[string]int{}
	perPartition := make([]int64, partitions)
	for i := range msgs {
		key := fmt.Sprintf("event-%03d", i)
		msgs[i] = kafka.Message{Key: []byte(key), Value: []byte("value-" + key)}
		p := javaPartition([]byte(key), partitions)
		wantPartition[key] = p
		perPartition[p]++
	}
	for p, c := range perPartition {
		if c == 0 {
			t.Fatalf("test keys leave partition %d empty; pick other keys", p)
		}
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close writer: %v", err)
	}

	group := UniqueName(t, "group")
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:          brokers,
		GroupID:          group,
		Topic:            topic,
		StartOffset:      kafka.FirstOffset,
		MaxWait:          200 * time.Millisecond,
		SessionTimeout:   6 * time.Second,
		RebalanceTimeout: 6 * time.Second,
	})
	defer r.Close()
	got := map[string]bool{}
	for len(got) < n {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("fetch after %d of %d records: %v", len(got), n, err)
		}
		key := string(m.Key)
		want, ok := wantPartition[key]
		if !ok || string(m.Value) != "value-"+key {
			t.Fatalf("unexpected record key %q value %q", m.Key, m.Value)
		}
		if m.Partition != want {
			t.Errorf("key %q on partition %d, want murmur2 partition %d", key, m.Partition, want)
		}
		if got[key] {
			t.Errorf("key %q delivered twice", key)
		}
		got[key] = true
		if err := r.CommitMessages(ctx, m); err != nil {
			t.Fatalf("commit: %v", err)
		}
	}

	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}
	ids := make([]int, partitions)
	for i := range ids {
		ids[i] = i
	}
	resp, err := client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{
		GroupID: group,
		Topics:  map[string][]int{topic: ids},
	})
	if err != nil {
		t.Fatalf("offset fetch: %v", err)
	}
	if resp.Error != nil {
		t.Fatalf("offset fetch: %v", resp.Error)
	}
	for _, p := range resp.Topics[topic] {
		if p.Error != nil {
			t.Fatalf("offset fetch partition %d: %v", p.Partition, p.Error)
		}
		if p.CommittedOffset != perPartition[p.Partition] {
			t.Errorf("partition %d: committed offset %d, want %d", p.Partition, p.CommittedOffset, perPartition[p.Partition])
		}
	}
	if len(resp.Topics[topic]) != partitions {
		t.Errorf("offset fetch returned %d partitions, want %d", len(resp.Topics[topic]), partitions)
	}
}
