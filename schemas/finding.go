package schemas

// Severity orders findings from informative to critical.
type Severity string

// Severities, in increasing order.
const (
	SeverityInfo     Severity = "info"
	SeverityWarn     Severity = "warn"
	SeverityFail     Severity = "fail"
	SeverityCritical Severity = "critical"
)

// Rank gives the order of a severity (info 1 … critical 4; 0 for unknown).
func (s Severity) Rank() int {
	switch s {
	case SeverityInfo:
		return 1
	case SeverityWarn:
		return 2
	case SeverityFail:
		return 3
	case SeverityCritical:
		return 4
	}
	return 0
}

// FindingSide says which copy a finding is about: client, server or the pair.
type FindingSide string

// Finding sides.
const (
	FindingClient FindingSide = "client"
	FindingServer FindingSide = "server"
	FindingPair   FindingSide = "pair"
)

// Finding is one fault found in an event or a pair (SPEC §5). It never carries
// the offending value: Fingerprint is a keyed HMAC of it, or "" when no key is
// configured.
type Finding struct {
	Code        string
	Severity    Severity
	Side        FindingSide
	Path        string
	Entity      string // PII entity for PII_LEAK, else ""
	Detector    string
	Message     string
	Fingerprint string
}
