package state

import "testing"

func TestFreeSpace(t *testing.T) {
	n, err := FreeSpace(t.TempDir())
	if err != nil || n <= 0 {
		t.Fatalf("FreeSpace = %d, %v", n, err)
	}
	if _, err := FreeSpace("/does/not/exist"); err == nil {
		t.Error("no error for a missing path")
	}
}
