package consumers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sstaudit/sstaudit/state"
)

// The state changelog (SPEC §10) lets a task's state travel: every committed
// state transaction is also in <group>.state-changelog, a compacted topic
// with the join's partition count, partition p holding task p's writes: key
// the state key, value the state value, a tombstone (null value) for a
// delete. Input offsets and the stream clock are state keys too, so a store
// rebuilt from the changelog is exactly the committed store.
//
// Order per batch (task.flush): outputs, then the changelog records, then the
// Badger commit, which also records the changelog offset the store now
// includes. So:
//   - the changelog is never behind committed local state;
//   - everything in the changelog has had its outputs acknowledged: a store
//     restored from it never skips an output (a crash after the outputs but
//     before the changelog replays the batch: outputs at least once);
//   - a transaction's records go to Kafka as one record batch in one produce
//     request, which the broker appends whole or not at all: a restore never
//     sees half a transaction. A retried produce may append the same batch
//     twice; applying it twice is the same as once.
//
// A task that starts compares its store's recorded changelog offset with the
// partition's end offset: equal, the store is current and used as it is;
// behind (another instance worked on the partition, or a crash fell between
// the changelog and the Badger commit), the missing records are applied;
// no store or no position, it restores from the beginning (see
// Pipeline.openStore).

// changelogTopic names the state changelog of the group.
func (c *Config) changelogTopic() string { return c.Group + ".state-changelog" }

// headerStatePut marks a put of an empty value: Kafka clients cannot tell an
// empty value from a null one on reading, and null is a delete.
const headerStatePut = "sstaudit-state-put"

// changelogMaxMessageBytes is the changelog topic's max.message.bytes: one
// state transaction is one record batch, and a transaction may hold a few
// MiB (state.Tx.Full).
const changelogMaxMessageBytes = 32 << 20

// ensureChangelog creates the changelog topic when missing and checks that
// an existing one has the join's partition count.
func (p *Pipeline) ensureChangelog(ctx context.Context, adm *admin, partitions int) error {
	topic := p.cfg.changelogTopic()
	counts, err := adm.partitions(ctx, topic)
	if err != nil {
		return err
	}
	switch n := counts[topic]; {
	case n == partitions:
		return nil
	case n > 0:
		return fmt.Errorf("consumers: state changelog %s has %d partitions, the join has %d: "+
			"the state of a group cannot move to another partition count; use a new --group", topic, n, partitions)
	}
	resp, err := adm.client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: topic, NumPartitions: partitions, ReplicationFactor: -1,
		ConfigEntries: []kafka.ConfigEntry{
			{ConfigName: "cleanup.policy", ConfigValue: "compact"},
			{ConfigName: "max.message.bytes", ConfigValue: strconv.Itoa(changelogMaxMessageBytes)},
			// Compaction never touches the active segment: keep segments
			// small enough that a restore reads little superseded history.
			{ConfigName: "segment.bytes", ConfigValue: strconv.Itoa(64 << 20)},
		},
	}}})
	if err != nil {
		return fmt.Errorf("consumers: create %s: %w", topic, err)
	}
	if terr := resp.Errors[topic]; terr != nil && !errors.Is(terr, kafka.TopicAlreadyExists) {
		return fmt.Errorf("consumers: create %s: %w", topic, terr)
	}
	return adm.ensureTopics(ctx, []TopicSpec{{Name: topic, Partitions: partitions, Compacted: true}})
}

// changelogRecords turns a transaction's writes into changelog records:
// the last write of each key, in the order of those last writes. A key
// written more than once in a transaction (a group opened, then matched,
// in the same batch) needs only its final value, since the records are
// appended as one batch and applied whole or not at all.
func changelogRecords(ws []state.Write) []kafka.Record {
	live := lastWrites(ws)
	recs := make([]kafka.Record, 0, len(ws))
	for i, w := range ws {
		if !live[i] {
			continue
		}
		r := kafka.Record{Key: kafka.NewBytes(w.Key)}
		switch {
		case w.Delete:
			// Value stays nil: a tombstone.
		case len(w.Value) == 0:
			r.Value = kafka.NewBytes([]byte{})
			r.Headers = statePutHeaders
		default:
			r.Value = kafka.NewBytes(w.Value)
		}
		recs = append(recs, r)
	}
	return recs
}

// statePutHeaders mark the record of an empty put (shared, never modified).
var statePutHeaders = []kafka.Header{{Key: headerStatePut, Value: []byte{1}}}

var changelogSeed = maphash.MakeSeed()

// lastWrites reports, for each write, whether no later write of ws has the
// same key.
func lastWrites(ws []state.Write) []bool {
	live := make([]bool, len(ws))
	last := make(map[uint64]int, len(ws)) // key hash → index of its last write
	for i, w := range ws {
		live[i] = true
		h := maphash.Bytes(changelogSeed, w.Key)
		// On a hash collision of different keys the earlier write simply
		// stays: a superfluous record, never a lost one.
		if j, ok := last[h]; ok && bytes.Equal(ws[j].Key, w.Key) {
			live[j] = false
		}
		last[h] = i
	}
	return live
}

// changelogWrite is the state write a changelog message holds.
func changelogWrite(m *kafka.Message) state.Write {
	if m.Value == nil && headerValue(m.Headers, headerStatePut) == "" {
		return state.Write{Key: m.Key, Delete: true}
	}
	v := m.Value
	if v == nil {
		v = []byte{}
	}
	return state.Write{Key: m.Key, Value: v}
}

// writeChangelog appends ws to partition part of the changelog as one record
// batch and returns the offset after it. It retries with backoff through
// broker trouble, like produce; once ctx is cancelled it keeps trying for a
// bounded time, then gives up (the batch is replayed).
func (p *Pipeline) writeChangelog(ctx context.Context, part int, ws []state.Write) (int64, error) {
	const shutdownGrace = 15 * time.Second
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(shutdownGrace, cancel) })
	defer stop()
	recs := changelogRecords(ws)
	bo := newBackoff(100*time.Millisecond, 10*time.Second)
	for {
		if p.produceHook != nil {
			p.produceHook(wctx, len(recs))
		}
		resp, err := p.changelog.Produce(wctx, &kafka.ProduceRequest{
			Topic: p.cfg.changelogTopic(), Partition: part, RequiredAcks: kafka.RequireAll,
			Records: kafka.NewRecordReader(recs...),
		})
		if err == nil && resp.Error != nil {
			err = resp.Error
		}
		if err == nil {
			p.setReady("changelog", true, "")
			return resp.BaseOffset + int64(len(recs)), nil
		}
		if wctx.Err() != nil {
			return 0, fmt.Errorf("consumers: write state changelog: %w", err)
		}
		d := bo.next()
		p.setReady("changelog", false, "state changelog not writable")
		p.log.Warn("state changelog write failed; retrying", "partition", part, "records", len(recs), "retry_in", d, "error", err)
		select {
		case <-wctx.Done():
			return 0, fmt.Errorf("consumers: write state changelog: %w", err)
		case <-time.After(d):
		}
	}
}

// offsetRange returns the first and end offsets of topic/part.
func (p *Pipeline) offsetRange(ctx context.Context, topic string, part int) (first, end int64, err error) {
	resp, err := newClient(p.cfg.Brokers, 10*time.Second).ListOffsets(ctx, &kafka.ListOffsetsRequest{
		Topics: map[string][]kafka.OffsetRequest{topic: {kafka.FirstOffsetOf(part), kafka.LastOffsetOf(part)}},
	})
	if err != nil {
		return 0, 0, err
	}
	ps := resp.Topics[topic]
	if len(ps) == 0 {
		return 0, 0, fmt.Errorf("no offsets for %s/%d", topic, part)
	}
	for _, po := range ps {
		if po.Error != nil {
			return 0, 0, po.Error
		}
		first, end = po.FirstOffset, po.LastOffset
	}
	return first, end, nil
}
