package state

import (
	"slices"
	"testing"
)

func TestParseMaps(t *testing.T) {
	text := "55d0c0a00000-55d0c0a21000 r--p 00000000 08:01 1234   /usr/bin/x y\n" +
		"7f00a0000000-7f00a0400000 rw-s 00000000 08:01 99     /data/s/000001.sst\n" +
		"7f00b0000000-7f00b0001000 rw-s 00000000 08:01 98     /data/s/000002.sst (deleted)\n" +
		"7f00c0000000-7f00c0021000 rw-p 00000000 00:00 0 \n" +
		"7ffd1c9e2000-7ffd1ca03000 rw-p 00000000 00:00 0      [stack]\n"
	got, err := parseMaps(text)
	if err != nil {
		t.Fatal(err)
	}
	want := []mapping{
		{start: 0x55d0c0a00000, end: 0x55d0c0a21000, path: "/usr/bin/x y"},
		{start: 0x7f00a0000000, end: 0x7f00a0400000, path: "/data/s/000001.sst"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if _, err := parseMaps("zz-1 r--p 0 0:0 1 /x\n"); err == nil {
		t.Error("bad address parsed")
	}
}
