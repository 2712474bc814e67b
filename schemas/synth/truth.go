package synth

import (
	"encoding/json"
	"io"
	"maps"
	"slices"
)

// Counts are the join totals of one (destination, event_name), in the terms
// of SPEC §7.
type Counts struct {
	ClientEvents int64 `json:"client_events"`
	ServerEvents int64 `json:"server_events"`
	Matched      int64 `json:"matched"`
	ClientOnly   int64 `json:"client_only"`
	ServerOnly   int64 `json:"server_only"`
	Duplicates   int64 `json:"duplicates"`
	Unjoinable   int64 `json:"unjoinable"`
	Aligned      int64 `json:"aligned"`
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.ClientEvents += o.ClientEvents
	c.ServerEvents += o.ServerEvents
	c.Matched += o.Matched
	c.ClientOnly += o.ClientOnly
	c.ServerOnly += o.ServerOnly
	c.Duplicates += o.Duplicates
	c.Unjoinable += o.Unjoinable
	c.Aligned += o.Aligned
}

// Truth is what a generator planted.
type Truth struct {
	Seed        uint64 `json:"seed"`
	Conversions int64  `json:"conversions"`
	// Messages counts the Kafka messages written per side ("client", "server").
	Messages map[string]int64 `json:"messages"`
	// Events counts decodable events per side (a batch is several).
	Events map[string]int64 `json:"events"`
	// Poison counts undecodable messages: each must land in the DLQ.
	Poison int64 `json:"poison"`
	// Totals are keyed "destination/event_name", the group's name.
	Totals map[string]*Counts `json:"totals"`
	// Faults counts conversions per planted fault kind (see Mix).
	Faults map[string]int64 `json:"faults"`
}

func newTruth(seed uint64) *Truth {
	return &Truth{
		Seed:     seed,
		Messages: map[string]int64{},
		Events:   map[string]int64{},
		Totals:   map[string]*Counts{},
		Faults:   map[string]int64{},
	}
}

func (t *Truth) counts(dest, name string) *Counts {
	k := dest + "/" + name
	c := t.Totals[k]
	if c == nil {
		c = &Counts{}
		t.Totals[k] = c
	}
	return c
}

// Sum returns the totals over every key.
func (t *Truth) Sum() Counts {
	var s Counts
	for _, c := range t.Totals {
		s.Add(*c)
	}
	return s
}

// Keys returns the totals' keys, sorted.
func (t *Truth) Keys() []string { return slices.Sorted(maps.Keys(t.Totals)) }

// WriteJSON writes the truth as indented JSON.
func (t *Truth) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(t)
}
