package state_test

import (
	"fmt"
	"log"

	"github.com/sstaudit/sstaudit/state"
)

func ExampleOpen() {
	s, err := state.Open("", state.WithInMemory())
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	// State and the input offset that produced it commit together.
	err = s.Update(func(tx *state.Tx) error {
		if err := tx.PutGroup([]byte("meta/e1"), []byte{1}); err != nil {
			return err
		}
		return tx.SetOffset("tracking.client", 0, 42)
	})
	if err != nil {
		log.Fatal(err)
	}

	tx := s.Begin()
	defer tx.Discard()
	next, ok, err := tx.Offset("tracking.client", 0)
	fmt.Println(next, ok, err)
	// Output: 42 true <nil>
}
