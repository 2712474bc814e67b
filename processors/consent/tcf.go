package consent

import "github.com/sstaudit/sstaudit/processors"

// Purposes is a set of TCF purposes: bit p−1 is purpose p (1–24).
type Purposes = processors.TCFPurposes

// DecodePurposes reads the PurposesConsent field of a TCF v2 TC string; see
// processors.DecodeTCFPurposes, which the snapshot's ConsentTCFDenied uses
// too, so the per-event and the pair checks read a TC string alike.
func DecodePurposes(tc string) (consented Purposes, ok bool) {
	return processors.DecodeTCFPurposes(tc)
}
