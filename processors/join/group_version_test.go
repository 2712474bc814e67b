package join

import (
	"errors"
	"testing"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/schemas"
)

// TestGroupVersion: a group written by the release before (legacyGroupVersion,
// whose digests came from the v1 Digester) is read with every Digester value
// dropped, so it still joins and closes but is never compared with digests of
// this build; any other version is corrupt.
func TestGroupVersion(t *testing.T) {
	snap := processors.Snapshot{
		Side: schemas.SideClient, Format: schemas.FormatMetaPixel, EventName: "Purchase", EventTime: t0,
		Source:    schemas.Source{Topic: "tracking.client", Offset: 9, RecordTime: t0},
		MatchKeys: processors.KeyEmail | processors.KeyFBP, ClickIDs: processors.ClickFBC | processors.ClickFBCLID,
		FBCLID: 1, FBCClickID: 2, FBP: 3, ExternalID: 4, Payload: 5,
		Hashes: []processors.HashDigest{{Key: 0, Value: 6, Double: 7}},
		Plain:  []processors.PlainDigest{{Key: 1, Norm: 8, Double: 9}},
	}
	topics := [2]string{"tracking.client", "tracking.server"}
	var g group
	g.first, g.closeAt, g.window = t0, t0+closeAfter, t0
	g.client.setFull(&snap, nil)
	g.server.setFull(&snap, nil)
	g.server.compact()
	b := g.appendBinary(nil, &topics)
	if b[0] != groupVersion {
		t.Fatalf("written with version %d, want %d", b[0], groupVersion)
	}

	var h group
	if err := h.decode(b, &topics); err != nil || h.client.snap.FBP != 3 || len(h.client.snap.Hashes) != 1 || h.server.payload != 5 {
		t.Fatalf("current version: %v %+v", err, h)
	}

	b[0] = legacyGroupVersion
	if err := h.decode(b, &topics); err != nil {
		t.Fatalf("legacy version: %v", err)
	}
	c := &h.client
	if !c.present || !c.full || c.snap.EventName != "Purchase" || c.snap.MatchKeys != snap.MatchKeys || c.snap.ClickIDs != snap.ClickIDs {
		t.Errorf("legacy group lost what is not a digest: %+v", c.snap)
	}
	if c.snap.FBCLID|c.snap.FBCClickID|c.snap.FBP|c.snap.ExternalID|c.snap.Payload|c.payload|h.server.payload != 0 ||
		len(c.snap.Hashes)+len(c.snap.Plain) != 0 {
		t.Errorf("legacy group kept Digester values: %+v", h)
	}
	if c.src != sourceDigest(&snap.Source) || c.name != nameDigest("Purchase") || h.server.src != c.src {
		t.Error("legacy group lost the name and source digests that recognise redeliveries")
	}

	for _, v := range []byte{0, 1, groupVersion + 1} {
		b[0] = v
		if err := h.decode(b, &topics); !errors.Is(err, errCorrupt) {
			t.Errorf("version %d: %v, want errCorrupt", v, err)
		}
	}
}
