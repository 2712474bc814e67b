package consumers

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sstaudit/sstaudit/consumers/kafkatest"
	"github.com/sstaudit/sstaudit/schemas"
)

// produceAt writes values to one partition with the given record times.
func produceAt(t *testing.T, brokers []string, topic string, partition int, msgs ...kafka.Message) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var err error
	for range 20 {
		var conn *kafka.Conn
		conn, err = kafka.DialLeader(ctx, "tcp", brokers[0], topic, partition)
		if err == nil {
			_, err = conn.WriteMessages(msgs...)
			_ = conn.Close()
		}
		if err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("produce %s/%d: %v", topic, partition, err)
}

func testReadOutputs(t *testing.T, brokers []string, findings, metrics string) {
	js, err := schemas.NewCodecs(schemas.OutputJSON)
	if err != nil {
		t.Fatal(err)
	}
	av, err := schemas.NewCodecs(schemas.OutputAvro)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	since, until := base.Add(10*time.Minute), base.Add(20*time.Minute)
	rec := func(id string, c *schemas.Codecs) []byte {
		ev := "ev-" + id
		b, err := c.AuditRecord.Encode(schemas.AuditRecord{AuditID: id, Outcome: "matched", Destination: "meta", EventID: &ev,
			EventName: "Purchase", Findings: []schemas.FindingRecord{}, SchemaVersion: "1"})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	met := func(start int64, c *schemas.Codecs) []byte {
		b, err := c.WindowMetrics.Encode(schemas.WindowMetrics{Destination: "meta", EventName: "Purchase", WindowStart: start,
			WindowEnd: start + 60_000, ClientEvents: 3, FindingsByCode: map[string]int64{}, MatchKeysHistogram: map[string]int64{}, SchemaVersion: "1"})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	at := func(d time.Duration, v []byte) kafka.Message { return kafka.Message{Value: v, Time: base.Add(d)} }
	// Partition 0: before, inside (JSON and Avro), a redelivery, garbage, after.
	produceAt(t, brokers, findings, 0,
		at(time.Minute, rec("early", js)),
		at(11*time.Minute, rec("in-json", js)),
		at(12*time.Minute, rec("in-avro", av)),
		at(13*time.Minute, rec("in-json", js)),
		at(14*time.Minute, []byte("not a record")),
		at(25*time.Minute, rec("late", js)))
	// Partition 2 only inside; partition 1 empty.
	produceAt(t, brokers, findings, 2, at(15*time.Minute, rec("p2", av)))
	produceAt(t, brokers, metrics, 1,
		at(5*time.Minute, met(1, js)),
		at(16*time.Minute, met(2, av)),
		at(17*time.Minute, met(3, js)))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	read := func(since, until time.Time) (ids []string, windows []int64, skipped []string) {
		err := ReadOutputs(ctx, brokers, findings, metrics, since, until,
			func(r *schemas.AuditRecord) { ids = append(ids, r.AuditID) },
			func(m *schemas.WindowMetrics) { windows = append(windows, m.WindowStart) },
			WithSkipped(func(topic string, p int, off int64, err error) {
				skipped = append(skipped, fmt.Sprintf("%s/%d/%d", topic, p, off))
			}), WithIdleTimeout(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		return ids, windows, skipped
	}

	ids, windows, skipped := read(since, until)
	if want := []string{"in-json", "in-avro", "in-json", "p2"}; !slices.Equal(ids, want) {
		t.Errorf("audit records %v, want %v", ids, want)
	}
	if want := []int64{2, 3}; !slices.Equal(windows, want) {
		t.Errorf("windows %v, want %v", windows, want)
	}
	if want := []string{findings + "/0/4"}; !slices.Equal(skipped, want) {
		t.Errorf("skipped %v, want %v", skipped, want)
	}

	ids, windows, _ = read(time.Time{}, time.Time{})
	if len(ids) != 6 || len(windows) != 3 {
		t.Errorf("unbounded read: %d records %v, %d windows", len(ids), ids, len(windows))
	}
	// A since after every record reads nothing.
	ids, windows, _ = read(time.Now().Add(time.Hour), time.Time{})
	if len(ids)+len(windows) != 0 {
		t.Errorf("read after the end: %v %v", ids, windows)
	}
}

func TestReadOutputsOnFakeBroker(t *testing.T) {
	brokers := kafkatest.NewFake(t, 3, "audit.findings", "audit.metrics")
	testReadOutputs(t, brokers, "audit.findings", "audit.metrics")
}

func TestReadOutputsMissingTopic(t *testing.T) {
	brokers := kafkatest.NewFake(t, 1, "audit.findings")
	err := ReadOutputs(context.Background(), brokers, "audit.findings", "nope", time.Time{}, time.Time{}, nil, nil)
	if err == nil {
		t.Fatal("want an error for a missing topic")
	}
}

func TestIntegrationReadOutputs(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	findings, metrics := kafkatest.UniqueName(t, "findings"), kafkatest.UniqueName(t, "metrics")
	kafkatest.CreateTopics(t, brokers, 3, findings, metrics)
	testReadOutputs(t, brokers, findings, metrics)
}
