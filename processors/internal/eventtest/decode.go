package eventtest

import (
	"testing"

	"github.com/sstaudit/sstaudit/schemas"
)

// RecordTime is the Kafka record time of every decoded test message,
// 2026-03-02 10:15:00 UTC, in milliseconds since the epoch. The payloads'
// own times are written relative to it.
const RecordTime = int64(1772446500000)

// Decode decodes payload as one message from side's tracking topic
// ("tracking.client" or "tracking.server") recorded at RecordTime, with the
// format detected and default options. It stops the test if decoding fails.
func Decode(t testing.TB, side schemas.Side, payload string) []schemas.Event {
	t.Helper()
	evs, err := schemas.Decode(schemas.Message{
		Value: []byte(payload), Side: side,
		Source: schemas.Source{Topic: "tracking." + string(side), RecordTime: RecordTime},
	}, schemas.DecodeOptions{})
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return evs
}

// DecodeOne is Decode for a payload that carries one event (or whose first
// event is the one under test); it returns that event.
func DecodeOne(t testing.TB, side schemas.Side, payload string) *schemas.Event {
	t.Helper()
	evs := Decode(t, side, payload)
	if len(evs) == 0 {
		t.Fatalf("decode: no events in %.60q", payload)
	}
	return &evs[0]
}
